import crypto from "node:crypto";
import type http from "node:http";
import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import * as C from "../../lib/mlflow/contracts";
import { MLFLOW_PATH } from "../../lib/mlflow/contracts";
export { MLFLOW_PATH };
import { ERROR_STATUS, invalid, MlflowError, type ErrorCode } from "../../lib/mlflow/errors";
import { parseFilter, matches } from "../../lib/mlflow/filter";
import { describeBadText, findBadText } from "../../lib/text-guard";
import { refusal, type Resolved } from "../auth/principal";
import type { Services } from "../services";
import type { ExperimentRow } from "../services/outside/experiments";
import { decodeToken, encodeToken } from "../services/outside/mlflow-runs";
import { serveArtifacts } from "./mlflow-artifacts";

/**
 * MLflow's tracking REST API (docs/mlflow-api.md), so that any trainer with an MLflow client logs
 * here unchanged: MLFLOW_TRACKING_URI=<this server>, MLFLOW_TRACKING_TOKEN=<an API key>.
 */

type Handler = (input: any, ctx: { who: Resolved; userName: string | null }) => Promise<unknown>;
interface Route { methods: ("GET" | "POST" | "PATCH" | "DELETE")[]; schema: z.ZodType; write: boolean; handler: Handler }

const TRPC_TO_MLFLOW: Partial<Record<TRPCError["code"], ErrorCode>> = {
  BAD_REQUEST: "INVALID_PARAMETER_VALUE", NOT_FOUND: "RESOURCE_DOES_NOT_EXIST", CONFLICT: "RESOURCE_ALREADY_EXISTS",
  UNAUTHORIZED: "UNAUTHENTICATED", FORBIDDEN: "PERMISSION_DENIED", PAYLOAD_TOO_LARGE: "INVALID_PARAMETER_VALUE",
};

function experimentJson(e: ExperimentRow) {
  const tags = Object.entries(JSON.parse(e.tags) as Record<string, string>).map(([key, value]) => ({ key, value }));
  return {
    experiment_id: String(e.id), name: e.name, artifact_location: e.artifactLocation, lifecycle_stage: e.lifecycle,
    last_update_time: e.updatedAt.getTime(), creation_time: e.createdAt.getTime(), ...(tags.length ? { tags } : {}),
  };
}

const tagMap = (tags: C.Tag[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));

export function createMlflowApi(services: Services) {
  const { experiments, mlflowRuns } = services;
  const runId = (b: { run_id?: string; run_uuid?: string }) => b.run_id ?? b.run_uuid;

  const routes: Record<string, Route> = {
    "experiments/create": { methods: ["POST"], schema: C.CreateExperiment, write: true, handler: async (b) => ({ experiment_id: String((await experiments.create(b.name, tagMap(b.tags), b.artifact_location)).id) }) },
    "experiments/get": { methods: ["GET"], schema: C.ExperimentRef, write: false, handler: async (b) => ({ experiment: experimentJson(await experiments.get(b.experiment_id)) }) },
    "experiments/get-by-name": { methods: ["GET"], schema: C.ExperimentByName, write: false, handler: async (b) => ({ experiment: experimentJson(await experiments.getByName(b.experiment_name)) }) },
    "experiments/search": { methods: ["GET", "POST"], schema: C.SearchExperiments, write: false, handler: async (b) => searchExperiments(b) },
    "experiments/update": { methods: ["POST"], schema: C.UpdateExperiment, write: true, handler: async (b) => (await experiments.rename(b.experiment_id, b.new_name), {}) },
    "experiments/delete": { methods: ["POST"], schema: C.ExperimentRef, write: true, handler: async (b) => (await experiments.setLifecycle(b.experiment_id, "deleted"), {}) },
    "experiments/restore": { methods: ["POST"], schema: C.ExperimentRef, write: true, handler: async (b) => (await experiments.setLifecycle(b.experiment_id, "active"), {}) },
    "experiments/set-experiment-tag": { methods: ["POST"], schema: C.ExperimentRef.extend({ key: C.Tag.shape.key, value: C.Tag.shape.value }), write: true, handler: async (b) => (await experiments.setTag(b.experiment_id, b.key, b.value), {}) },
    "runs/create": { methods: ["POST"], schema: C.CreateRun, write: true, handler: async (b, ctx) => ({ run: await mlflowRuns.create(b, ctx.userName) }) },
    "runs/get": { methods: ["GET"], schema: C.RunRef, write: false, handler: async (b) => ({ run: await mlflowRuns.view((await mlflowRuns.row(runId(b))).id) }) },
    "runs/update": { methods: ["POST"], schema: C.UpdateRun, write: true, handler: async (b) => ({ run_info: await mlflowRuns.update(b) }) },
    "runs/delete": { methods: ["POST"], schema: C.RunRef, write: true, handler: async (b) => (await mlflowRuns.setLifecycle(runId(b), "deleted"), {}) },
    "runs/restore": { methods: ["POST"], schema: C.RunRef, write: true, handler: async (b) => (await mlflowRuns.setLifecycle(runId(b), "active"), {}) },
    "runs/search": { methods: ["POST", "GET"], schema: C.SearchRuns, write: false, handler: async (b) => mlflowRuns.search(b) },
    "runs/log-batch": { methods: ["POST"], schema: C.LogBatch, write: true, handler: async (b) => (await mlflowRuns.logBatch(runId(b), b.metrics ?? [], b.params ?? [], b.tags ?? []), {}) },
    "runs/log-metric": { methods: ["POST"], schema: C.LogMetric, write: true, handler: async (b) => (await mlflowRuns.logBatch(runId(b), [b], [], []), {}) },
    "runs/log-parameter": { methods: ["POST"], schema: C.LogParam, write: true, handler: async (b) => (await mlflowRuns.logBatch(runId(b), [], [b], []), {}) },
    "runs/set-tag": { methods: ["POST"], schema: C.SetTag, write: true, handler: async (b) => (await mlflowRuns.logBatch(runId(b), [], [], [b]), {}) },
    "runs/delete-tag": { methods: ["POST"], schema: C.DeleteTag, write: true, handler: async (b) => (await mlflowRuns.deleteTag(runId(b), b.key), {}) },
    "metrics/get-history": { methods: ["GET"], schema: C.GetHistory, write: false, handler: async (b) => mlflowRuns.history(runId(b), b.metric_key, b.max_results, b.page_token) },
  };

  async function searchExperiments(b: z.infer<typeof C.SearchExperiments>) {
    const clauses = parseFilter(b.filter);
    const rows = (await experiments.list(b.view_type ?? "ACTIVE_ONLY")).filter((e) =>
      matches({ attribute: { name: e.name, creation_time: e.createdAt.getTime(), last_update_time: e.updatedAt.getTime() }, tag: JSON.parse(e.tags), param: {}, metric: {} }, clauses),
    );
    const max = b.max_results ?? 1000;
    if (max < 1 || max > 50_000) throw invalid(`Invalid value ${max} for parameter 'max_results' supplied. It must be at most 50000.`);
    const offset = b.page_token ? decodeToken(b.page_token) : 0;
    const page = rows.slice(offset, offset + max);
    return { experiments: page.map(experimentJson), ...(offset + max < rows.length ? { next_page_token: encodeToken(offset + max) } : {}) };
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse, who: Resolved, url: URL) {
    // Who is asking comes first: an unknown caller learns nothing of which routes exist.
    const anonymous = refusal(who, "read");
    if (anonymous) throw anonymous;
    const match = MLFLOW_PATH.exec(url.pathname)!;
    if (match[1] === "mlflow-artifacts") return serveArtifacts(services, req, res, who, match[2] ?? "", url);
    const name = (match[2] ?? "").replace(/^\/|\/$/g, "");
    const r = routes[name];
    if (!r) throw new MlflowError("ENDPOINT_NOT_FOUND", `This server does not offer /${name}; the covered calls are listed in docs/mlflow-api.md`);
    const method = (req.method ?? "GET") as Route["methods"][number];
    if (!r.methods.includes(method)) throw new MlflowError("ENDPOINT_NOT_FOUND", `/${name} takes ${r.methods.join(" or ")}, not ${method}`);
    const refused = refusal(who, r.write ? "write" : "read");
    if (refused) throw refused;
    const raw = method === "GET" ? fromQuery(url.searchParams, r.schema) : await readBody(req);
    const bad = findBadText(raw);
    if (bad) throw invalid(describeBadText(bad));
    const parsed = r.schema.safeParse(raw);
    if (!parsed.success) throw invalid(parsed.error.issues.map((i) => `Invalid value for parameter '${i.path.join(".") || "(body)"}': ${i.message}`).join("; "));
    const p = who.principal;
    const userName = p && (p.kind === "key" || p.kind === "session") ? p.user.login : null;
    send(res, 200, await r.handler(parsed.data, { who, userName }));
  }

  return async (req: http.IncomingMessage, res: http.ServerResponse, who: Resolved) => {
    try {
      await route(req, res, who, new URL(req.url ?? "/", "http://local"));
    } catch (e) {
      req.resume();
      if (e instanceof MlflowError) return send(res, e.status, e.body());
      if (e instanceof TRPCError) {
        const code = TRPC_TO_MLFLOW[e.code] ?? "INTERNAL_ERROR";
        return send(res, ERROR_STATUS[code], { error_code: code, message: e.message });
      }
      const id = crypto.randomUUID();
      console.error(`Internal error (request id ${id}) in ${req.method} ${req.url}:`, e);
      send(res, 500, { error_code: "INTERNAL_ERROR", message: `Internal error (request id ${id})` });
    }
  };
}

export function send(res: http.ServerResponse, status: number, body: unknown) {
  if (res.headersSent) return void res.end();
  // A refused request's body may be still on its way: the connection is not reused for the next one.
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...(status >= 400 ? { connection: "close" } : {}) }).end(JSON.stringify(body));
}

/** GET fields as query parameters; a repeated one (experiment_ids) becomes a list when the schema wants one. */
function fromQuery(params: URLSearchParams, schema: z.ZodType): Record<string, unknown> {
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  const out: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    const field = shape[key];
    const wantsArray = field !== undefined && field.safeParse([]).success && !field.safeParse("x").success;
    out[key] = wantsArray ? all : all.at(-1);
  }
  return out;
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > C.LIMITS.bodyBytes) throw invalid(`Batched logging API requests must be at most ${C.LIMITS.bodyBytes} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    // Python's json.dumps writes bare NaN and Infinity; protobuf JSON spells them as strings.
    try {
      return JSON.parse(text.replace(/"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)/g, (m, bare) => (bare ? `"${bare}"` : m)));
    } catch {
      throw new MlflowError("MALFORMED_REQUEST", "The request body is not JSON");
    }
  }
}
