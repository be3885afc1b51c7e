import { z } from "zod";

/**
 * The request bodies of MLflow's tracking REST API (its service.proto), as its Python client sends
 * them: protobuf JSON, so int64 fields come as numbers or as decimal strings, and a metric's NaN or
 * Infinity as the strings "NaN", "Infinity" and "-Infinity". Unknown fields are ignored, as a
 * protobuf parser ignores them.
 */

/** The MLflow API's paths, under /api and the /ajax-api alias its web UI uses. */
export const MLFLOW_PATH = /^\/(?:api|ajax-api)\/2\.0\/(mlflow|mlflow-artifacts)(\/.*)?$/;

export const LIMITS = { metrics: 1000, params: 100, tags: 100, entities: 1000, bodyBytes: 1_000_000, keyLength: 250, paramValueLength: 6000, tagValueLength: 8000 } as const;

/** int64 as a JSON number or a decimal string; kept within the safe-integer range. */
export const Int64 = z.union([z.number(), z.string().regex(/^-?\d+$/, "must be an integer")]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) {
    ctx.addIssue({ code: "custom", message: "must be an integer within ±2^53" });
    return z.NEVER;
  }
  return n;
});

/** A metric value: a number, or protobuf JSON's spelling of a non-finite double. null stands for NaN/Inf in our store. */
export const MetricValue = z.union([z.number(), z.string()]).transform((v, ctx) => {
  if (typeof v === "number") return v;
  if (v === "NaN" || v === "Infinity" || v === "-Infinity") return null;
  const n = Number(v);
  if (v.trim() === "" || Number.isNaN(n)) {
    ctx.addIssue({ code: "custom", message: `is not a number: ${JSON.stringify(v.slice(0, 40))}` });
    return z.NEVER;
  }
  return Number.isFinite(n) ? n : null;
});

const Key = z.string().min(1, "must not be empty").max(LIMITS.keyLength, `must be at most ${LIMITS.keyLength} characters`);
const RunId = z.string().min(1).max(200);

export const Metric = z.object({ key: Key, value: MetricValue, timestamp: Int64, step: Int64.optional() });
export const Param = z.object({ key: Key, value: z.string().max(LIMITS.paramValueLength, `must be at most ${LIMITS.paramValueLength} characters`) });
export const Tag = z.object({ key: Key, value: z.string().max(LIMITS.tagValueLength, `must be at most ${LIMITS.tagValueLength} characters`) });
export type Metric = z.infer<typeof Metric>;
export type Param = z.infer<typeof Param>;
export type Tag = z.infer<typeof Tag>;

/** run_id, or the older run_uuid the Python client still fills in beside it. */
const runRef = { run_id: RunId.optional(), run_uuid: RunId.optional() };

export const CreateExperiment = z.object({ name: z.string().min(1).max(500), artifact_location: z.string().max(2000).optional(), tags: z.array(Tag).max(100).optional() });
export const ExperimentRef = z.object({ experiment_id: z.string().min(1).max(20) });
export const ExperimentByName = z.object({ experiment_name: z.string().min(1).max(500) });
export const UpdateExperiment = z.object({ experiment_id: z.string().min(1).max(20), new_name: z.string().min(1).max(500) });
export const SearchExperiments = z.object({
  max_results: Int64.optional(), page_token: z.string().max(200).optional(), filter: z.string().max(2000).optional(),
  order_by: z.array(z.string().max(200)).max(10).optional(), view_type: z.enum(["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]).optional(),
});

export const RunStatus = z.enum(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]);
export type RunStatus = z.infer<typeof RunStatus>;
export const CreateRun = z.object({
  experiment_id: z.string().max(20).optional(), user_id: z.string().max(200).optional(), run_name: z.string().max(250).optional(),
  start_time: Int64.optional(), tags: z.array(Tag).max(LIMITS.tags).optional(),
});
export const RunRef = z.object(runRef);
export const UpdateRun = z.object({ ...runRef, status: RunStatus.optional(), end_time: Int64.optional(), run_name: z.string().max(250).optional() });
export const SearchRuns = z.object({
  experiment_ids: z.array(z.string().max(20)).max(100).optional(), filter: z.string().max(4000).optional(),
  run_view_type: z.enum(["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]).optional(), max_results: Int64.optional(),
  order_by: z.array(z.string().max(200)).max(10).optional(), page_token: z.string().max(200).optional(),
});
export const LogBatch = z.object({
  ...runRef,
  metrics: z.array(Metric).max(LIMITS.metrics, `A batch holds at most ${LIMITS.metrics} metrics`).optional(),
  params: z.array(Param).max(LIMITS.params, `A batch holds at most ${LIMITS.params} params`).optional(),
  tags: z.array(Tag).max(LIMITS.tags, `A batch holds at most ${LIMITS.tags} tags`).optional(),
});
export const LogMetric = z.object({ ...runRef, key: Key, value: MetricValue, timestamp: Int64, step: Int64.optional() });
export const LogParam = z.object({ ...runRef, key: Key, value: Param.shape.value });
export const SetTag = z.object({ ...runRef, key: Key, value: Tag.shape.value });
export const DeleteTag = z.object({ ...runRef, key: Key });
export const GetHistory = z.object({ ...runRef, metric_key: Key, max_results: Int64.optional(), page_token: z.string().max(200).optional() });
