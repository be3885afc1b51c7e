import { TRPCError } from "@trpc/server";
import type { Metric, Param, RunStatus as MlflowStatus, Tag } from "../../../lib/mlflow/contracts";
import { invalid, missing } from "../../../lib/mlflow/errors";
import { matches, parseFilter, type Subject } from "../../../lib/mlflow/filter";
import type { RunStatus } from "../../../lib/protocol";
import type { Db, Run } from "../../db/db";
import { DEFAULT_EXPERIMENT, lifecycleWhere, type ExperimentService, type ViewType } from "./experiments";
import type { OutsidePoint, OutsideRuns } from "./outside-runs";

const TO_OURS: Record<MlflowStatus, RunStatus> = { RUNNING: "running", SCHEDULED: "queued", FINISHED: "completed", FAILED: "failed", KILLED: "stopped" };
const TO_MLFLOW: Record<string, MlflowStatus> = { running: "RUNNING", queued: "SCHEDULED", stopping: "RUNNING", completed: "FINISHED", failed: "FAILED", crashed: "FAILED", stopped: "KILLED" };
/** Our extension: a create that carries this tag is idempotent within its experiment (a client may retry it). */
export const CLIENT_KEY_TAG = "pretrain.client_key";
const RUN_NAME_TAG = "mlflow.runName";
const USER_TAG = "mlflow.user";
/** Our steps are 32-bit. */
const MAX_STEP = 2 ** 31 - 1;

export interface RunView {
  info: ReturnType<typeof runInfo>;
  data: { metrics: { key: string; value: number | string; timestamp: number; step: number }[]; params: Param[]; tags: Tag[] };
}

export function runInfo(run: Run) {
  const experiment_id = String(run.experimentId ?? DEFAULT_EXPERIMENT.id);
  return {
    run_id: run.id, run_uuid: run.id, run_name: run.name, experiment_id, user_id: run.userName ?? "",
    status: TO_MLFLOW[run.status] ?? "RUNNING", start_time: (run.startedAt ?? run.createdAt).getTime(),
    ...(run.endedAt ? { end_time: run.endedAt.getTime() } : {}),
    artifact_uri: `mlflow-artifacts:/${experiment_id}/${run.id}/artifacts`, lifecycle_stage: run.lifecycle,
  };
}

/** protobuf JSON's spelling of a double: non-finite values stored as null come back as "NaN". */
const wireValue = (v: number | null) => (v === null ? "NaN" : v);

/** MLflow's run model over our Run rows: runs/create, get, update, search, the log calls and get-history. */
export class MlflowRuns {
  constructor(
    private db: Db,
    private outside: OutsideRuns,
    private experiments: ExperimentService,
  ) {}

  async create(body: { experiment_id?: string; user_id?: string; run_name?: string; start_time?: number; tags?: Tag[] }, userName: string | null): Promise<RunView> {
    const experiment = await this.experiments.active(body.experiment_id || String(DEFAULT_EXPERIMENT.id));
    const tags = Object.fromEntries((body.tags ?? []).map((t) => [t.key, t.value]));
    const clientKey = tags[CLIENT_KEY_TAG];
    if (clientKey) {
      const same = await this.db.run.findFirst({ where: { experimentId: experiment.id, tags: { some: { key: CLIENT_KEY_TAG, value: clientKey } } } });
      if (same) return this.view(same.id);
    }
    const name = body.run_name || tags[RUN_NAME_TAG] || generatedName();
    const run = await this.outside.create({
      name, source: "mlflow", experimentId: experiment.id, tags: { ...tags, [RUN_NAME_TAG]: name },
      startTime: body.start_time, userName: body.user_id || tags[USER_TAG] || userName,
    });
    return this.view(run.id);
  }

  /** A run the MLflow API may see: an outside run of an experiment. */
  async row(runId: string | undefined): Promise<Run> {
    if (!runId) throw invalid("Missing value for required parameter 'run_id'.");
    const run = await this.db.run.findUnique({ where: { id: runId } });
    if (!run || run.source === "trainer") throw missing(`Run '${runId}' not found`);
    return run;
  }

  /** The log calls need an active (not deleted) run. */
  private async activeRow(runId: string | undefined): Promise<Run> {
    const run = await this.row(runId);
    if (run.lifecycle !== "active") throw invalid(`The run ${run.id} must be in the 'active' state. Current state is ${run.lifecycle}.`);
    return run;
  }

  async view(runId: string): Promise<RunView> {
    const run = await this.row(runId);
    const [params, tags, latest] = await Promise.all([this.outside.params(run.id), this.outside.tags(run.id), this.latestMetrics(run.id)]);
    return {
      info: runInfo(run),
      data: {
        metrics: latest,
        params: Object.entries(params).map(([key, value]) => ({ key, value })),
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      },
    };
  }

  /** Each metric's value at its highest step, under its original name. */
  private async latestMetrics(runId: string) {
    const [rows, names] = await Promise.all([
      this.db.$queryRaw<{ key: string; step: number; value: number | null; wallTime: number }[]>`
        SELECT m."key", m."step", m."value", m."wallTime" FROM "Metric" m
        WHERE m."runId" = ${runId} AND m."step" = (SELECT MAX(n."step") FROM "Metric" n WHERE n."runId" = ${runId} AND n."key" = m."key")`,
      this.outside.metricNames(runId),
    ]);
    return rows.map((r) => ({ key: names[r.key] ?? r.key, value: wireValue(r.value === null ? null : Number(r.value)), timestamp: Math.round(Number(r.wallTime) * 1000), step: Number(r.step) }));
  }

  async update(body: { run_id?: string; run_uuid?: string; status?: MlflowStatus; end_time?: number; run_name?: string }) {
    const run = await this.row(body.run_id ?? body.run_uuid);
    if (body.run_name) {
      await this.outside.rename(run.id, body.run_name);
      await this.outside.setTags(run.id, { [RUN_NAME_TAG]: body.run_name });
    }
    if (body.status) await this.outside.setStatus(run.id, TO_OURS[body.status], body.end_time);
    return runInfo(await this.row(run.id));
  }

  async setLifecycle(runId: string | undefined, lifecycle: "active" | "deleted") {
    const run = await this.row(runId);
    await this.db.run.update({ where: { id: run.id }, data: { lifecycle } });
  }

  /**
   * Everything of one log-batch, checked before anything is written: the limits, the steps, and
   * that no param changes value. Points go last, so the answer comes once they are committed.
   */
  async logBatch(runId: string | undefined, metrics: Metric[], params: Param[], tags: Tag[]) {
    const run = await this.activeRow(runId);
    if (metrics.length + params.length + tags.length > 1000)
      throw invalid(`A batch logging request can contain at most 1000 metrics, params and tags in total; this one has ${metrics.length + params.length + tags.length}`);
    for (const m of metrics) {
      if (m.step !== undefined && (m.step < 0 || m.step > MAX_STEP)) throw invalid(`Metric '${m.key}' has step ${m.step}; steps here run from 0 to ${MAX_STEP}`);
      if (m.timestamp <= 0) throw invalid(`Metric '${m.key}' has timestamp ${m.timestamp}; expected milliseconds since the epoch`);
    }
    for (const { key } of [...metrics, ...params, ...tags]) if (/[\u0000-\u001f\u007f]/.test(key)) throw invalid(`Invalid name ${JSON.stringify(key)}: control characters are not allowed`);
    const paramMap: Record<string, string> = {};
    for (const p of params) {
      if (p.key in paramMap && paramMap[p.key] !== p.value) throw invalid(`Duplicate parameter keys have been submitted: ['${p.key}']`);
      paramMap[p.key] = p.value;
    }
    try {
      await this.outside.logParams(run.id, paramMap);
      await this.outside.setTags(run.id, Object.fromEntries(tags.map((t) => [t.key, t.value])));
    } catch (e) {
      if (e instanceof TRPCError && e.code === "BAD_REQUEST") throw invalid(e.message);
      throw e;
    }
    const points: OutsidePoint[] = metrics.map((m) => ({ name: m.key, step: m.step ?? 0, value: m.value === null || Number.isFinite(m.value) ? m.value : null, wallTime: m.timestamp / 1000 }));
    await this.outside.log(run.id, points);
    if (tags.some((t) => t.key === RUN_NAME_TAG)) await this.outside.rename(run.id, tags.find((t) => t.key === RUN_NAME_TAG)!.value);
  }

  async deleteTag(runId: string | undefined, key: string) {
    const run = await this.activeRow(runId);
    if (!(await this.outside.deleteTag(run.id, key))) throw missing(`No tag with name: ${key} in run with id ${run.id}`);
  }

  /** A metric's whole series, oldest step first, paged by step. */
  async history(runId: string | undefined, name: string, maxResults = 25_000, pageToken?: string) {
    const run = await this.row(runId);
    const names = await this.outside.metricNames(run.id);
    const key = Object.entries(names).find(([, n]) => n === name)?.[0];
    if (!key) return { metrics: [] };
    const after = pageToken ? decodeToken(pageToken) : -1;
    const take = Math.min(Math.max(1, maxResults), 25_000);
    const rows = await this.db.metric.findMany({ where: { runId: run.id, key, step: { gt: after } }, orderBy: { step: "asc" }, take: take + 1 });
    const page = rows.slice(0, take);
    return {
      metrics: page.map((r) => ({ key: name, value: wireValue(r.value), timestamp: Math.round(r.wallTime * 1000), step: r.step })),
      ...(rows.length > take ? { next_page_token: encodeToken(page.at(-1)!.step) } : {}),
    };
  }

  async search(body: { experiment_ids?: string[]; filter?: string; run_view_type?: ViewType; max_results?: number; order_by?: string[]; page_token?: string }) {
    const ids = (body.experiment_ids ?? []).map((id) => {
      if (!/^\d{1,9}$/.test(id)) throw invalid(`Invalid experiment ID: '${id}'`);
      return Number(id);
    });
    const clauses = parseFilter(body.filter);
    const max = body.max_results ?? 1000;
    if (max < 1 || max > 50_000) throw invalid(`Invalid value ${max} for parameter 'max_results' supplied. It must be at most 50000.`);
    const rows = await this.db.run.findMany({ where: { source: { not: "trainer" }, experimentId: { in: ids }, ...lifecycleWhere(body.run_view_type) }, orderBy: { createdAt: "desc" } });
    const views = await Promise.all(rows.map((r) => this.view(r.id)));
    const subjects = views.map(subjectOf);
    const kept = views.filter((_, i) => matches(subjects[i], clauses));
    const sorted = sortViews(kept, body.order_by ?? []);
    const offset = body.page_token ? decodeToken(body.page_token) : 0;
    const page = sorted.slice(offset, offset + max);
    return { runs: page, ...(offset + max < sorted.length ? { next_page_token: encodeToken(offset + max) } : {}) };
  }
}

function subjectOf(v: RunView): Subject {
  return {
    attribute: { ...v.info, run_name: v.info.run_name, status: v.info.status, start_time: v.info.start_time, end_time: v.info.end_time ?? null },
    tag: Object.fromEntries(v.data.tags.map((t) => [t.key, t.value])),
    param: Object.fromEntries(v.data.params.map((p) => [p.key, p.value])),
    metric: Object.fromEntries(v.data.metrics.map((m) => [m.key, typeof m.value === "number" ? m.value : null])),
  };
}

/** order_by entries such as `attributes.start_time DESC` or `metrics.loss ASC`; ties keep the newest first. */
function sortViews(views: RunView[], orderBy: string[]): RunView[] {
  const keys = orderBy.map((o) => {
    const m = /^\s*(?:(attributes?|attr|tags?|params?|metrics?)\.)?`?([^`]+?)`?\s*(ASC|DESC)?\s*$/i.exec(o);
    if (!m) throw invalid(`Invalid order_by clause '${o}'`);
    const entity = (m[1] ?? "attribute").toLowerCase().replace(/s$/, "").replace(/^attr$/, "attribute") as keyof Subject;
    return { entity, name: m[2], desc: (m[3] ?? "ASC").toUpperCase() === "DESC" };
  });
  if (keys.length === 0) return views;
  const subjects = new Map(views.map((v) => [v, subjectOf(v)]));
  return [...views].sort((a, b) => {
    for (const k of keys) {
      const x = subjects.get(a)![k.entity][k.name];
      const y = subjects.get(b)![k.entity][k.name];
      if (x === y) continue;
      if (x === undefined || x === null) return 1;
      if (y === undefined || y === null) return -1;
      const c = x < y ? -1 : 1;
      return k.desc ? -c : c;
    }
    return 0;
  });
}

export const encodeToken = (n: number) => Buffer.from(JSON.stringify({ n })).toString("base64url");
export function decodeToken(token: string): number {
  try {
    const n = (JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { n?: unknown }).n;
    if (typeof n === "number" && Number.isSafeInteger(n)) return n;
  } catch {}
  throw invalid(`Invalid page token '${token.slice(0, 40)}'`);
}

const ADJECTIVES = ["amber", "brisk", "calm", "deft", "eager", "fleet", "gentle", "hardy", "keen", "lucid", "mellow", "nimble", "placid", "quick", "steady", "tidy"];
const NOUNS = ["heron", "otter", "maple", "comet", "delta", "falcon", "harbor", "lynx", "meadow", "orbit", "quartz", "raven", "sparrow", "tundra", "willow", "zephyr"];
function generatedName() {
  const pick = (xs: string[]) => xs[Math.floor(Math.random() * xs.length)];
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${Math.floor(Math.random() * 1000)}`;
}
