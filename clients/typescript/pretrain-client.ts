// Log a training run to a pretrain dashboard (or any server speaking MLflow's REST API) from Node.
//   const run = await init({ project: "gpt2-small", config: { lr: 6e-4 } });
//   run.log({ loss: 2.5 }, 1);
//   await run.finish();
// log() journals each record to disk synchronously and queues it; a timer sends the queue in
// order in batches of up to 1000 points, retrying with backoff while the server is unreachable.
import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import { adopt, defaultRoot, Journal, type Rec } from "./journal";
import { ApiError, asInt, Backoff, callWithRetry, Rest, sleep } from "./rest";
import { flatten, MAX_KEY, MAX_METRICS_PER_BATCH, MAX_PARAM_VALUE, MAX_PARAMS_PER_BATCH, metricValue } from "./values";

export { ApiError } from "./rest";

export type Status = "completed" | "failed" | "killed";
const STATUS: Record<Status, string> = { completed: "FINISHED", failed: "FAILED", killed: "KILLED" };

export interface InitOptions {
  /** The MLflow experiment; made when it does not exist. */
  project?: string;
  name?: string;
  /** Logged as params: nested objects flattened with "/", values stringified. */
  config?: Record<string, unknown>;
  /** Default $PRETRAIN_URL, then $MLFLOW_TRACKING_URI. */
  url?: string;
  /** Default $PRETRAIN_KEY, then $MLFLOW_TRACKING_TOKEN. */
  key?: string;
  /** Resume this run instead of creating one. */
  runId?: string;
  /** Default ~/.cache/pretrain-client; one folder per run below it. */
  bufferDir?: string;
  flushIntervalMs?: number;
  /** How long init waits for an unreachable server before it throws. */
  timeoutMs?: number;
  /** Where warnings go (default console.warn). */
  warn?: (message: string) => void;
}

type Pending = { rec: Rec; since: number; sent: number };
type NewRec = Rec extends infer R ? (R extends Rec ? Omit<R, "id" | "run"> & { run?: string } : never) : never;
const units = (r: Rec) => (r.kind === "metrics" ? r.points.length : 1);

export class Run {
  readonly url: string;
  readonly bufferPath: string;
  adoptedPoints = 0;
  private queue: Pending[] = [];
  private queuedPoints = 0;
  private nextId = 0;
  private nextStep: number;
  private journal: Journal;
  private flushing = 0;
  private stopped = false;
  private done = false;
  private sending = false;
  private timer: NodeJS.Timeout | null = null;
  private waiters: (() => void)[] = [];
  private downSince: number | null = null;
  private skipped = new Set<string>();
  private backoff = new Backoff();

  constructor(private rest: Rest, readonly id: string, readonly experimentId: string, readonly name: string | undefined, root: string, private flushIntervalMs: number, nextStep: number, private warn: (m: string) => void) {
    this.url = rest.base;
    this.nextStep = nextStep;
    this.journal = new Journal(root, id, this.url);
    this.bufferPath = this.journal.path;
    this.adoptFrom(root);
    this.schedule(0);
  }

  get finished() {
    return this.done;
  }
  /** The step the next log() without a step gets. */
  get step() {
    return this.nextStep;
  }

  /** Queues {name: number}; returns at once. Without `step`, the step after the last one. */
  log(metrics: Record<string, unknown>, step?: number) {
    if (this.done) return this.warn(`pretrain-client: log() after finish() on run ${this.id} is ignored`);
    const s = step ?? this.nextStep;
    if (!Number.isSafeInteger(s)) throw new Error(`step must be an integer, not ${s}`);
    this.nextStep = s + 1;
    const now = Date.now();
    const points: [string, number | string, number, number][] = [];
    for (const [key, value] of Object.entries(metrics)) {
      const v = metricValue(value);
      if (key.length === 0 || key.length > MAX_KEY || v === null) {
        if (!this.skipped.has(key)) this.warn(`pretrain-client: metric ${JSON.stringify(key)} = ${String(value)} skipped: names are 1-${MAX_KEY} characters and values numbers`);
        this.skipped.add(key);
        continue;
      }
      points.push([key, v, now, s]);
    }
    if (points.length) this.push({ kind: "metrics", points });
  }

  /** MLflow keeps a param's first value: a different value later is refused (and reported). */
  logParams(params: Record<string, unknown>) {
    const items: [string, string][] = [];
    for (let [k, v] of Object.entries(flatten(params))) {
      if (k.length > MAX_KEY) { this.warn(`pretrain-client: param ${k.slice(0, 60)}… is longer than ${MAX_KEY} characters; skipped`); continue; }
      if (v.length > MAX_PARAM_VALUE) { this.warn(`pretrain-client: param ${k} is ${v.length} characters; cut to ${MAX_PARAM_VALUE}`); v = v.slice(0, MAX_PARAM_VALUE); }
      items.push([k, v]);
    }
    for (let i = 0; i < items.length; i += MAX_PARAMS_PER_BATCH) this.push({ kind: "params", items: items.slice(i, i + MAX_PARAMS_PER_BATCH) });
  }

  setTags(tags: Record<string, string>) {
    const items = Object.entries(tags).map(([k, v]): [string, string] => [k, String(v)]);
    for (let i = 0; i < items.length; i += MAX_PARAMS_PER_BATCH) this.push({ kind: "tags", items: items.slice(i, i + MAX_PARAMS_PER_BATCH) });
  }

  /** Resolves once every queued record is acknowledged or dropped, or at the timeout, with the
   * number of metric points still unsent. */
  async flush(timeoutMs = 120_000): Promise<number> {
    this.flushing++;
    this.schedule(0);
    // This timer is what keeps Node alive while it waits: the sender's own timers are unref'd.
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => (this.queue.length === 0 || this.stopped ? resolve() : this.waiters.push(resolve))),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
      this.flushing--;
    }
    return this.queuedPoints;
  }

  /** Flushes, then marks the run FINISHED / FAILED / KILLED. What is not acknowledged within
   * the timeout stays in the disk buffer for the next init of this run (or of this server). */
  async finish(status: Status = "completed", timeoutMs = 120_000): Promise<number> {
    if (this.done) return 0;
    if (!(status in STATUS)) throw new Error(`status must be completed, failed or killed, not ${status}`);
    this.done = true;
    this.push({ kind: "status", status: STATUS[status], end_time: Date.now() });
    const left = await this.flush(timeoutMs);
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const clean = this.queue.length === 0;
    this.journal.close(clean);
    if (!clean) {
      this.warn(`pretrain-client: ${left} metric points and the final status of run ${this.id} are not acknowledged after ${Math.round(timeoutMs / 1000)} s; ` +
        `they stay buffered in ${this.bufferPath} and are sent on the next init({ runId: "${this.id}" }) (or any init for this server with the same bufferDir)`);
    }
    if (current === this) current = null;
    return left;
  }

  // ---- queue ------------------------------------------------------------------------------------

  private push(r: NewRec) {
    const rec = { ...r, id: this.nextId++, run: r.run ?? this.id } as Rec;
    this.journal.append(rec);
    this.queue.push({ rec, since: Date.now(), sent: 0 });
    if (rec.kind === "metrics") this.queuedPoints += rec.points.length;
    if (this.queuedPoints >= MAX_METRICS_PER_BATCH || rec.kind === "status") this.schedule(0);
    else this.schedule(this.flushIntervalMs);
  }

  private adoptFrom(root: string) {
    const { recs, remove } = adopt(root, this.url, this.id);
    for (const r of recs) {
      if (!["metrics", "params", "tags", "status"].includes(r.kind) || !r.run) continue;
      const { id: _id, t: _t, ...rest } = r as Rec & { t?: string };
      this.push(rest as NewRec);
      if (r.kind === "metrics") {
        this.adoptedPoints += r.points.length;
        if (r.run === this.id) this.nextStep = Math.max(this.nextStep, 1 + Math.max(...r.points.map((p) => p[3])));
      }
    }
    remove();
    if (this.adoptedPoints) this.warn(`pretrain-client: re-sending ${this.adoptedPoints} metric points left unsent by an earlier process`);
  }

  private schedule(ms: number) {
    if (this.sending || this.stopped) return;
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = null; void this.pump(); }, ms);
    this.timer.unref();
  }

  private ready() {
    if (this.queue.length === 0) return false;
    if (this.flushing || this.queuedPoints >= MAX_METRICS_PER_BATCH) return true;
    const head = this.queue[0];
    return head.rec.kind === "status" || Date.now() - head.since >= this.flushIntervalMs;
  }

  private take(): { endpoint: string; body: Record<string, any>; units: number } {
    const rec = this.queue[0].rec;
    if (rec.kind === "status") return { endpoint: "runs/update", body: { run_id: rec.run, status: rec.status, end_time: rec.end_time }, units: 1 };
    if (rec.kind === "params" || rec.kind === "tags") return { endpoint: "runs/log-batch", body: { run_id: rec.run, [rec.kind]: rec.items.map(([key, value]) => ({ key, value })) }, units: 1 };
    const metrics: { key: string; value: number | string; timestamp: number; step: number }[] = [];
    for (const p of this.queue) {
      if (p.rec.kind !== "metrics" || p.rec.run !== rec.run) break;
      for (const [key, value, timestamp, step] of p.rec.points.slice(p.sent, p.sent + MAX_METRICS_PER_BATCH - metrics.length)) metrics.push({ key, value, timestamp, step });
      if (metrics.length >= MAX_METRICS_PER_BATCH) break;
    }
    return { endpoint: "runs/log-batch", body: { run_id: rec.run, metrics }, units: metrics.length };
  }

  private consume(n: number) {
    let acked: number | null = null;
    while (n > 0 && this.queue.length) {
      const p = this.queue[0];
      const k = Math.min(n, units(p.rec) - p.sent);
      p.sent += k;
      n -= k;
      if (p.rec.kind === "metrics") this.queuedPoints -= k;
      if (p.sent >= units(p.rec)) { this.queue.shift(); acked = p.rec.id; }
    }
    if (acked !== null) this.journal.ack(acked, this.queue.length === 0);
    if (this.queue.length === 0) for (const w of this.waiters.splice(0)) w();
  }

  /** Sends while there is something ready, one request at a time, in order. */
  private async pump() {
    if (this.sending || this.stopped) return;
    this.sending = true;
    try {
      while (!this.stopped && this.ready()) {
        const { endpoint, body, units: n } = this.take();
        try {
          await this.deliver(endpoint, body);
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          if (e.retryable) {
            if (this.downSince === null) {
              this.downSince = Date.now();
              this.warn(`pretrain-client: ${e.message}; retrying with backoff, logged points are kept on disk in ${this.bufferPath}`);
            }
            await sleep(this.backoff.next(e.retryAfterMs), false);
            continue;
          }
          this.drop(body, e);
        }
        if (this.downSince !== null) {
          this.warn(`pretrain-client: the server answers again after ${Math.round((Date.now() - this.downSince) / 1000)} s; sending what was buffered`);
          this.downSince = null;
        }
        this.backoff.reset();
        if (!this.stopped) this.consume(n);
      }
    } finally {
      this.sending = false;
    }
    if (this.stopped) for (const w of this.waiters.splice(0)) w();
    else if (this.queue.length) this.schedule(Math.max(1, this.flushIntervalMs - (Date.now() - this.queue[0].since)));
  }

  /** A log-batch refused as invalid is split until the bad points are isolated, so one bad
   * point does not cost the other 999; only they are dropped. */
  private async deliver(endpoint: string, body: Record<string, any>): Promise<void> {
    try {
      await this.rest.call("POST", endpoint, body);
    } catch (e) {
      const metrics = body.metrics as unknown[] | undefined;
      if (!(e instanceof ApiError) || e.retryable || e.status !== 400 || !metrics || metrics.length < 2) throw e;
      const half = metrics.length >> 1;
      for (const part of [metrics.slice(0, half), metrics.slice(half)]) {
        try {
          await this.deliver(endpoint, { ...body, metrics: part });
        } catch (inner) {
          if (!(inner instanceof ApiError) || inner.retryable) throw inner;
          this.drop({ ...body, metrics: part }, inner);
        }
      }
    }
  }

  private drop(body: Record<string, any>, e: ApiError) {
    const m = body.metrics as { key: string; step: number }[] | undefined;
    const what = m ? (m.length === 1 ? `metric ${JSON.stringify(m[0].key)} at step ${m[0].step}` : `${m.length} metric points`) : "a request";
    this.warn(`pretrain-client: the server refused ${what} of run ${body.run_id} (dropped): ${e.message}`);
  }
}

let current: Run | null = null;

/** Starts (or, with runId, resumes) a run and makes it the current one. */
export async function init(opts: InitOptions = {}): Promise<Run> {
  const env = (...names: string[]) => names.map((n) => process.env[n]).find((v) => v);
  const rest = new Rest(opts.url ?? env("PRETRAIN_URL", "MLFLOW_TRACKING_URI"), opts.key ?? env("PRETRAIN_KEY", "MLFLOW_TRACKING_TOKEN"));
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  let told = false;
  const call = (method: "GET" | "POST", endpoint: string, body: Record<string, unknown>) =>
    callWithRetry(rest, method, endpoint, body, deadline, (e) => {
      if (!told) warn(`pretrain-client: ${e.message}; retrying for up to ${Math.round(timeoutMs / 1000)} s`);
      told = true;
    });

  let info: Record<string, any>;
  let nextStep = 0;
  if (opts.runId) {
    const run = (await call("GET", "runs/get", { run_id: opts.runId })).run;
    info = run.info;
    const steps = ((run.data?.metrics ?? []) as { step?: unknown }[]).map((m) => asInt(m.step));
    if (steps.length) nextStep = Math.max(...steps) + 1;
    await call("POST", "runs/update", { run_id: opts.runId, status: "RUNNING" });
  } else {
    const experimentId = await experiment(call, opts.project ?? "default");
    const body: Record<string, unknown> = {
      experiment_id: experimentId,
      start_time: Date.now(),
      tags: [
        { key: "pretrain.client_key", value: crypto.randomUUID() },
        { key: "mlflow.source.name", value: path.basename(process.argv[1] ?? "node") },
      ],
      user_id: os.userInfo().username,
    };
    if (opts.name) body.run_name = opts.name;
    // Retrying this is safe: the server returns the run it made for the same client key.
    info = (await call("POST", "runs/create", body)).run.info;
  }
  const id = String(info.run_id ?? info.run_uuid);
  const run = new Run(rest, id, String(info.experiment_id), info.run_name, opts.bufferDir ?? defaultRoot(), opts.flushIntervalMs ?? 1000, nextStep, warn);
  if (opts.config) run.logParams(opts.config);
  current = run;
  return run;
}

type Call = (method: "GET" | "POST", endpoint: string, body: Record<string, unknown>) => Promise<any>;

async function experiment(call: Call, project: string): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const exp = (await call("GET", "experiments/get-by-name", { experiment_name: project })).experiment;
      if (exp.lifecycle_stage === "deleted") throw new Error(`project ${JSON.stringify(project)} is deleted on the server; restore it or pick another name`);
      return String(exp.experiment_id);
    } catch (e) {
      if (!(e instanceof ApiError) || e.errorCode !== "RESOURCE_DOES_NOT_EXIST") throw e;
    }
    try {
      return String((await call("POST", "experiments/create", { name: project })).experiment_id);
    } catch (e) {
      // Another process made it between our get and create: get it again.
      if (!(e instanceof ApiError) || e.errorCode !== "RESOURCE_ALREADY_EXISTS") throw e;
    }
  }
  throw new Error(`project ${JSON.stringify(project)}: neither found nor created`);
}

export function currentRun() {
  return current;
}

export function log(metrics: Record<string, unknown>, step?: number) {
  if (!current) throw new Error("log() before init()");
  current.log(metrics, step);
}

export async function finish(status: Status = "completed", timeoutMs?: number) {
  return current ? current.finish(status, timeoutMs) : 0;
}

// A program that ends without finish(): flush and mark the run completed. (A crash or
// process.exit() skips this; the journal keeps what was logged.)
process.on("beforeExit", () => {
  if (current && !current.finished) void current.finish("completed", Number(process.env.PRETRAIN_EXIT_TIMEOUT ?? 60) * 1000);
});
