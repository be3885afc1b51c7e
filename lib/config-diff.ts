/** A config value as one table cell; null where a run has no such field. */
export type Cell = string | number | boolean | null;

export interface DiffRow {
  /** Dotted path, e.g. "lr", "anomaly.spikeZ", "evals.lambada.file". */
  key: string;
  label: string;
  /** One cell per config, in the order given. */
  values: Cell[];
  differs: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Flattens nested objects into dotted keys. Lists of objects that name a task (the benchmarks)
 * are keyed by task rather than by position ("evals.lambada": its file), so two runs with the same tasks in a different
 * order don't differ, and a task only one run has gets its own row.
 */
export function flattenConfig(value: unknown, prefix = ""): Record<string, Cell> {
  const join = (k: string) => (prefix ? `${prefix}.${k}` : k);
  if (isObject(value)) return Object.assign({}, ...Object.entries(value).map(([k, v]) => flattenConfig(v, join(k))));
  if (Array.isArray(value)) {
    if (value.length === 0) return { [prefix]: "none" };
    if (value.every((v) => isObject(v) && typeof v.task === "string"))
      return Object.assign({}, ...value.map(({ task, ...rest }) => flattenConfig(onlyValue(rest), join(task as string))));
    if (value.every((v) => !isObject(v) && !Array.isArray(v))) return { [prefix]: value.map(String).join(", ") };
    return Object.assign({}, ...value.map((v, i) => flattenConfig(v, join(String(i)))));
  }
  if (value === undefined || value === null) return { [prefix]: null };
  return { [prefix]: value as Cell };
}

/** An object's one value ({file: "x"} → "x"), the object itself when it has more, true when empty. */
function onlyValue(o: Record<string, unknown>): unknown {
  const values = Object.values(o);
  return values.length === 0 ? true : values.length === 1 ? values[0] : o;
}

/** "anomaly.spikeZ" → "Anomaly thresholds › spikeZ", using the labels of top-level fields. */
export function rowLabel(key: string, labels: Readonly<Record<string, string>>): string {
  const [top, ...rest] = key.split(".");
  return [labels[top] ?? top, ...rest].join(" › ");
}

/**
 * One row per flattened field of any config, in the order fields first appear (so the labels'
 * order when configs share a schema). A row differs when any two configs disagree, a field one
 * config lacks included.
 */
export function diffConfigs(configs: readonly unknown[], labels: Readonly<Record<string, string>> = {}): DiffRow[] {
  const flat = configs.map((c) => flattenConfig(c));
  const keys: string[] = [];
  const seen = new Set<string>();
  const order = Object.keys(labels);
  for (const f of flat) for (const k of Object.keys(f)) if (!seen.has(k)) (seen.add(k), keys.push(k));
  const rank = (k: string) => {
    const i = order.indexOf(k.split(".")[0]);
    return i < 0 ? order.length : i;
  };
  keys.sort((a, b) => rank(a) - rank(b));
  return keys.map((key) => {
    const values = flat.map((f) => (key in f ? f[key] : null));
    return { key, label: rowLabel(key, labels), values, differs: values.some((v) => !sameCell(v, values[0])) };
  });
}

function sameCell(a: Cell, b: Cell): boolean {
  return a === b || (typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b));
}

/** The rows to show: every row, or only those that differ. */
export function visibleRows(rows: readonly DiffRow[], hideIdentical: boolean): DiffRow[] {
  return hideIdentical ? rows.filter((r) => r.differs) : [...rows];
}
