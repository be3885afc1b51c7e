// A trainer's config and metric values as MLflow's REST API takes them.

// MLflow's own limits (mlflow/utils/validation.py, MLflow 2.x and 3.x): keys up to 250 characters,
// param values up to 6000 (500 before MLflow 2.3).
export const MAX_KEY = 250;
export const MAX_PARAM_VALUE = 6000;
export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_PARAMS_PER_BATCH = 100;

/** A number, or the protobuf JSON spelling of a non-finite one; null when it is not a number. */
export function metricValue(v: unknown): number | string | null {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "bigint") return Number(v);
  if (typeof v !== "number") return null;
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  return v;
}

const plain = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** Nested plain objects become one level of "a/b/c" keys with string values. */
export function flatten(config: Record<string, unknown>, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    const key = prefix ? `${prefix}/${k}` : k;
    if (plain(v) && Object.keys(v).length) Object.assign(out, flatten(v, key));
    else out[key] = typeof v === "string" ? v : v === undefined ? "undefined" : JSON.stringify(v) ?? String(v);
  }
  return out;
}
