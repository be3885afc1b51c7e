import type { Worker } from "node:worker_threads";
import { spawnWorker } from "../../../host/spawn-worker";
import type { MetricPoint } from "../../../lib/protocol";
import { IngestStats } from "../stats/ingest-stats";
import type { PointsOp, WriteOp } from "./metric-store";
import type { WorkerReply, WorkerRequest } from "./metric-worker";

interface Pending {
  op: WriteOp;
  points: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Points that start a flush at once rather than after the interval; under load flushes go back to back anyway. */
const EAGER_POINTS = 4096;
/**
 * The most points one transaction takes, so a backlog is written in bounded steps: on SQLite the
 * transaction holds the write lock, and a Prisma write on the event loop waits for it.
 */
const MAX_FLUSH_POINTS = 16_000;
/** Flushes handed to the writer's thread at once. */
const MAX_IN_FLIGHT = 2;
/** The runs table hears of a run's new step and loss at most this often. */
const SUMMARY_MS = 1000;

/**
 * Buffers incoming metric points and writes them in one transaction per flush, on a thread of its
 * own that owns the database connection (server/services/metrics/metric-worker.ts). A flush starts when
 * `intervalMs` passed since the first point waiting, or when EAGER_POINTS wait, or as soon as the
 * one before it committed when points came meanwhile: under load, transactions follow each other
 * and grow with the load. Writes are idempotent on (run, key, step), so a re-sent batch never
 * doubles a row. Each enqueue resolves once its points are committed, which is when the trainer
 * gets its ack; a failed flush rejects every enqueue in it, and none of them is acked.
 * The database URL picks the engine: file: is SQLite, postgres:// or postgresql:// PostgreSQL.
 */
export class MetricWriter {
  readonly stats = new IngestStats();
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Flushes sent to the thread and not yet answered, oldest first; it writes them in this order. */
  private inFlight: { id: number; batch: Pending[]; points: number }[] = [];
  private worker: { thread: Worker; ready: Promise<void> } | null = null;
  private nextId = 1;
  /** flush() callers, each waiting for the ops enqueued before it (by op number). */
  private barriers: { upTo: number; resolve: () => void }[] = [];
  private enqueued = 0;
  private done = 0;
  private dirty = new Set<string>();
  private summaryTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private databaseUrl: string,
    private onFlushed: (runIds: Set<string>) => Promise<void> | void = () => {},
    private intervalMs = 100,
  ) {}

  /** Starts the writer's thread now rather than at the first flush (the server does, so no burst pays for it). */
  start() {
    const w = this.ensureWorker();
    if (this.inFlight.length === 0) w.thread.unref();
    return this;
  }

  enqueue(runId: string, points: MetricPoint[]): Promise<void> {
    if (points.length === 0) return Promise.resolve();
    return this.add(toOp(runId, points), points.length, false);
  }

  /**
   * Moves the run's points after afterStep to SupersededMetric, in order with the writes: points
   * enqueued before this move with it, and points enqueued after land in Metric.
   */
  supersede(runId: string, afterStep: number, attempt: number): Promise<void> {
    return this.add({ kind: "supersede", runId, afterStep, attempt }, 0, true);
  }

  /** Writes everything enqueued so far; resolves when it is committed (or failed) and the runs table was told. */
  async flush(): Promise<void> {
    const upTo = this.enqueued;
    if (this.done < upTo) {
      const reached = new Promise<void>((resolve) => this.barriers.push({ upTo, resolve }));
      void this.kick();
      await reached;
    }
    await this.pushSummaries();
  }

  /** The run's rollup memory is dropped: its next write reads it from the database again. */
  forget(runId: string) {
    this.worker?.thread.postMessage({ kind: "forget", runId } satisfies WorkerRequest);
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.summaryTimer) clearTimeout(this.summaryTimer);
    const w = this.worker;
    this.worker = null;
    if (!w) return;
    const closed = new Promise<void>((resolve) => {
      w.thread.on("message", (m: WorkerReply) => m.kind === "closed" && resolve());
      w.thread.once("exit", () => resolve());
    });
    w.thread.ref();
    w.thread.postMessage({ kind: "close" } satisfies WorkerRequest);
    await closed;
    await w.thread.terminate();
  }

  private add(op: WriteOp, points: number, now: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new Error("The metric writer is closed"));
    this.enqueued++;
    this.stats.pendingPoints += points;
    const done = new Promise<void>((resolve, reject) => this.pending.push({ op, points, resolve, reject }));
    // While a flush is being written, the next waits until a whole one is ready or that one ends.
    if (now || this.waitingPoints() >= (this.inFlight.length === 0 ? EAGER_POINTS : MAX_FLUSH_POINTS)) void this.kick();
    else this.timer ??= setTimeout(() => void this.kick(), this.intervalMs);
    return done;
  }

  private waitingPoints() {
    return this.stats.pendingPoints - this.inFlight.reduce((n, f) => n + f.points, 0);
  }

  /**
   * Sends the next flush to the writer's thread, unless MAX_IN_FLIGHT are under way (the end of
   * one sends the next). With two, the thread starts the next transaction as soon as one commits,
   * without waiting for the event loop to hear of it.
   */
  private async kick() {
    if (this.inFlight.length >= MAX_IN_FLIGHT || this.pending.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    let points = 0;
    let take = 0;
    while (take < this.pending.length && (take === 0 || points + this.pending[take].points <= MAX_FLUSH_POINTS)) points += this.pending[take++].points;
    const batch = this.pending.splice(0, take);
    const flight = { id: this.nextId++, batch, points };
    this.inFlight.push(flight);
    try {
      const w = this.ensureWorker();
      await w.ready;
      w.thread.ref();
      const ops = batch.map((p) => p.op);
      const transfer = ops.flatMap((o) => (o.kind === "points" ? [o.key.buffer as ArrayBuffer, o.xs.buffer as ArrayBuffer] : []));
      w.thread.postMessage({ kind: "write", id: flight.id, ops } satisfies WorkerRequest, transfer);
    } catch (e) {
      this.settle(flight.id, e instanceof Error ? e : new Error(String(e)), 0);
    }
  }

  private ensureWorker() {
    if (this.worker) return this.worker;
    const thread = spawnWorker(new URL("./metric-worker.ts", import.meta.url), { url: this.databaseUrl });
    const ready = new Promise<void>((resolve, reject) => {
      thread.on("message", (m: WorkerReply) => {
        if (m.kind === "ready") resolve();
        else if (m.kind === "fatal") reject(new Error(`The metric writer could not open the database: ${m.error}`));
        else if (m.kind === "written") this.settle(m.id, null, m.ms);
        else if (m.kind === "failed") this.settle(m.id, new Error(m.error), 0);
      });
      thread.on("error", (e) => {
        reject(e);
        this.lost(thread, e);
      });
      thread.on("exit", (code) => {
        const e = new Error(`The metric writer's thread exited (code ${code})`);
        reject(e);
        this.lost(thread, e);
      });
    });
    ready.catch(() => {});
    this.worker = { thread, ready };
    return this.worker;
  }

  /** The thread died: its flush under way failed (nothing of it is acked); the next flush starts a new one. */
  private lost(thread: Worker, e: Error) {
    if (this.worker?.thread !== thread) return;
    this.worker = null;
    for (const f of [...this.inFlight]) this.settle(f.id, e, 0);
  }

  private settle(id: number, error: Error | null, ms: number) {
    const at = this.inFlight.findIndex((f) => f.id === id);
    if (at < 0) return;
    const [flight] = this.inFlight.splice(at, 1);
    const points = flight.points;
    this.stats.pendingPoints -= points;
    this.done += flight.batch.length;
    if (error) {
      this.stats.flushErrors++;
      console.error(`metric writer: a flush of ${points} points failed, none of it acked: ${error.message}`);
      for (const p of flight.batch) p.reject(error);
    } else {
      this.stats.flushes++;
      this.stats.pointsWritten += points;
      this.stats.flushMs.record(ms);
      for (const p of flight.batch) p.resolve();
      for (const p of flight.batch) this.dirty.add(p.op.runId);
      this.scheduleSummaries();
    }
    this.barriers = this.barriers.filter((b) => (b.upTo <= this.done ? (b.resolve(), false) : true));
    if (this.pending.length > 0) void this.kick();
    else if (this.inFlight.length === 0) this.worker?.thread.unref();
  }

  /** The runs table hears at once, then at most every SUMMARY_MS while flushes keep coming. */
  private scheduleSummaries() {
    if (this.summaryTimer) return;
    void this.pushSummaries();
    this.summaryTimer = setTimeout(() => {
      this.summaryTimer = null;
      if (this.dirty.size > 0) this.scheduleSummaries();
    }, SUMMARY_MS);
    this.summaryTimer.unref();
  }

  private async pushSummaries() {
    if (this.dirty.size === 0) return;
    const ids = this.dirty;
    this.dirty = new Set();
    try {
      await this.onFlushed(ids);
    } catch (e) {
      console.error("metric writer: telling the runs table of new metrics failed:", e);
    }
  }
}

/** A batch in columns (see PointsOp), built on the event loop in one pass; the arrays then move to the writer's thread. */
function toOp(runId: string, points: MetricPoint[]): PointsOp {
  const keys: string[] = [];
  const index = new Map<string, number>();
  const key = new Uint16Array(points.length);
  const xs = new Float64Array(points.length * 3);
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    let k = index.get(p.key);
    if (k === undefined) {
      k = keys.length;
      keys.push(p.key);
      index.set(p.key, k);
    }
    key[i] = k;
    xs[3 * i] = p.step;
    xs[3 * i + 1] = p.value === null ? NaN : p.value;
    xs[3 * i + 2] = p.wallTime;
  }
  return { kind: "points", runId, keys, key, xs };
}
