import type { Worker } from "node:worker_threads";
import { spawnWorker } from "../../../host/spawn-worker";
import type { ReadReply, ReadRequest } from "./metric-read-worker";
import type { RangeQuery, RangeSeries, SeriesPoint } from "./metrics";

type Waiting = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/**
 * metric.range and metric.history, answered on a thread of their own (metric-read-worker.ts) with
 * the same functions the server would run, so a long run's chart query never blocks the event
 * loop. A query the thread fails answers with its message; a thread that dies fails the queries
 * it held, and the next query starts a new one.
 */
export class MetricReader {
  private worker: Worker | null = null;
  private waiting = new Map<number, Waiting>();
  private nextId = 1;

  constructor(private databaseUrl: string) {}

  /** Starts the query thread now rather than at the first query. */
  start() {
    this.thread();
    return this;
  }

  range(runId: string, query: RangeQuery): Promise<Record<string, RangeSeries>> {
    return this.ask({ kind: "range", runId, query }) as Promise<Record<string, RangeSeries>>;
  }

  history(runId: string, query: { keys?: string[]; maxPoints: number }): Promise<Record<string, SeriesPoint[]>> {
    return this.ask({ kind: "history", runId, query }) as Promise<Record<string, SeriesPoint[]>>;
  }

  async close() {
    const w = this.worker;
    this.worker = null;
    if (!w) return;
    const exited = new Promise((resolve) => w.once("exit", resolve));
    w.postMessage({ kind: "close" });
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    await w.terminate();
  }

  private ask(request: Omit<ReadRequest, "id">): Promise<unknown> {
    const id = this.nextId++;
    const w = this.thread();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ ...request, id } as ReadRequest);
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = spawnWorker(new URL("./metric-read-worker.ts", import.meta.url), { url: this.databaseUrl });
    w.on("message", (m: ReadReply) => {
      const waiting = this.waiting.get(m.id);
      if (!waiting) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) w.unref();
      if (m.ok) waiting.resolve(m.value);
      else waiting.reject(new Error(m.error));
    });
    const fail = (e: Error) => {
      if (this.worker === w) this.worker = null;
      for (const waiting of this.waiting.values()) waiting.reject(e);
      this.waiting.clear();
    };
    w.on("error", fail);
    w.on("exit", (code) => fail(new Error(`The metric query thread exited (code ${code})`)));
    w.unref();
    this.worker = w;
    return w;
  }
}
