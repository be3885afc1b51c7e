import type { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { spawnWorker } from "../../../host/spawn-worker";
import type { Rng } from "../../../lib/rng";
import type { BackendChoice } from "../../backend/backend";
import type { Batch } from "../../data/mixture";
import type { ModelConfig, Params } from "../../model/model";
import { flatLayout, type Slot } from "./layout";
import type { Job, Reply, WorkerFault, WorkerInit } from "./messages";
import { shardRngStates } from "./shard-rng";
import { splitRows } from "./shards";

const ENTRY = new URL(`./worker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);

/**
 * Backstops for a worker that neither answers nor dies (a crash or a thrown error is reported at
 * once). Generous: one step of a large model on wasm can take minutes, and so can a start on a
 * loaded machine (each worker compiles the trainer's modules and the wasm binary).
 */
const STEP_TIMEOUT_MS = 30 * 60_000;
const START_TIMEOUT_MS = 5 * 60_000;

export interface PoolOptions {
  workers: number;
  /** The backend the trainer's thread runs on; every worker starts the same one. */
  backend: BackendChoice;
  model: ModelConfig;
  /** The trainer's parameters: published to the workers before every step. */
  params: Params;
  /** The largest batch a step may have (batch-size ramp included). */
  maxRows: number;
  T: number;
  /** Rows per pass within a shard (config.microBatchSize); 0 = the whole shard. */
  micro: number;
  /** The mlm mask id (the tokenizer's end-of-text). */
  maskId: number;
  stepTimeoutMs?: number;
  /** Test-only. */
  fault?: WorkerFault;
}

type Done = Extract<Reply, { kind: "done" }>;

interface Waiter {
  resolve(r: Reply): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Data-parallel gradients on worker threads, one backend and parameter copy each. A step publishes
 * the trainer's parameters and the batch through SharedArrayBuffers, gives each worker a
 * contiguous shard of rows, and sums the workers' mean gradients weighted by their rows in worker
 * order (deterministic), which is the full batch's mean gradient. Clipping, the recovery check and
 * the optimizer stay with the trainer, once per step, so checkpoints and resume do not change.
 * Messages only signal (a few per step, against the megabytes of the shared buffers). They, rather
 * than Atomics.wait, keep the trainer's thread free while the workers compute, so its socket and
 * heartbeats go on, and a worker's error or exit rejects the step at once, with its reason.
 */
export class WorkerPool {
  private readonly slots: Slot[];
  private readonly paramView: Float32Array;
  private readonly tokens: Int32Array;
  private readonly gradViews: Float32Array[];
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, Waiter>();
  private failure: Error | null = null;
  private result: { loss: number; z?: number; grads: Map<string, Float32Array> } | null = null;

  private constructor(private readonly o: PoolOptions) {
    const layout = flatLayout([...o.params].map(([name, p]) => [name, p.shape]));
    this.slots = layout.slots;
    this.paramView = new Float32Array(new SharedArrayBuffer(layout.size * 4));
    this.tokens = new Int32Array(new SharedArrayBuffer(2 * o.maxRows * o.T * 4));
    this.gradViews = Array.from({ length: o.workers }, () => new Float32Array(new SharedArrayBuffer(layout.size * 4)));
  }

  /** Starts the workers and waits until every one has its backend and parameters. */
  static async start(o: PoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(o);
    try {
      await pool.publish();
      const ready = pool.gradViews.map((g, i) => {
        const init: WorkerInit = {
          index: i, backend: o.backend, model: o.model, shapes: pool.slots.map((s) => [s.name, s.shape]), T: o.T, micro: o.micro,
          maskId: o.maskId, params: pool.paramView.buffer as SharedArrayBuffer, tokens: pool.tokens.buffer as SharedArrayBuffer,
          maxRows: o.maxRows, grads: g.buffer as SharedArrayBuffer, fault: o.fault,
        };
        const reply = pool.reply(i, "to start", START_TIMEOUT_MS);
        pool.watch(spawnWorker(ENTRY, init), i);
        return reply;
      });
      await Promise.all(ready);
      return pool;
    } catch (e) {
      await pool.close();
      throw e;
    }
  }

  /**
   * Computes the mean loss and gradient of `batch` (`rows` rows) on the workers; read them with
   * gradients(). Advances `rng` exactly as the trainer's own thread would for the same batch.
   */
  async run(batch: Batch, rows: number, rng: Rng): Promise<void> {
    if (this.failure) throw this.failure;
    const { T, maxRows, model, maskId } = this.o;
    if (rows > maxRows) throw new Error(`a batch of ${rows} rows exceeds the pool's ${maxRows}`);
    await this.publish();
    this.tokens.set(batch.x.subarray(0, rows * T), 0);
    this.tokens.set(batch.y.subarray(0, rows * T), maxRows * T);
    const shards = splitRows(rows, this.workers.length);
    const states = shardRngStates(rng, model, batch.x, shards, T, maskId);
    const busy = shards.flatMap((s, i) => (s.count > 0 ? [i] : []));
    const replies = (await Promise.all(
      busy.map((i) => {
        const reply = this.reply(i, "for a step", this.o.stepTimeoutMs ?? STEP_TIMEOUT_MS);
        const job: Job = { ...shards[i], rng: states[i] };
        this.workers[i].postMessage(job);
        return reply;
      }),
    )) as Done[];
    const weights = busy.map((i) => shards[i].count / rows);
    const grads = new Map<string, Float32Array>();
    for (const slot of this.slots) {
      const from = busy.flatMap((_, k) => (replies[k].missing.includes(slot.name) ? [] : [k]));
      if (from.length === 0) continue; // no rows reach this parameter: it gets no gradient, as on one thread
      const sum = new Float32Array(slot.size);
      for (const k of from) {
        const g = this.gradViews[busy[k]].subarray(slot.offset, slot.offset + slot.size);
        for (let j = 0; j < sum.length; j++) sum[j] += weights[k] * g[j];
      }
      grads.set(slot.name, sum);
    }
    const mean = (of: (r: Done) => number) => replies.reduce((a, r, k) => a + weights[k] * of(r), 0);
    this.result = { loss: mean((r) => r.loss), grads, ...(model.zLoss ? { z: mean((r) => r.z ?? NaN) } : {}) };
  }

  /** The last run()'s loss and gradients as tensors, the gradients keyed by the trainer's variable names (call inside a tidy). */
  gradients(): { loss: tf.Scalar; grads: Map<string, tf.Tensor>; z?: tf.Scalar } {
    if (!this.result) throw new Error("gradients() before run()");
    const { loss, z, grads } = this.result;
    this.result = null;
    const out = new Map<string, tf.Tensor>();
    for (const slot of this.slots) {
      const g = grads.get(slot.name);
      if (g) out.set(this.o.params.get(slot.name)!.name, tf.tensor(g, slot.shape));
    }
    return { loss: tf.scalar(loss), grads: out, ...(z !== undefined && { z: tf.scalar(z) }) };
  }

  async close(): Promise<void> {
    this.fail(new Error("the worker pool is closed"));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** The trainer's parameters into the shared buffer the workers read at each job (read asynchronously, as webgpu requires). */
  private async publish(): Promise<void> {
    for (const slot of this.slots) this.paramView.set((await this.o.params.get(slot.name)!.data()) as Float32Array, slot.offset);
  }

  private name(i: number): string {
    return `gradient worker ${i + 1} of ${this.o.workers}`;
  }

  private watch(worker: Worker, i: number): void {
    this.workers[i] = worker;
    worker.on("message", (r: Reply) => {
      if (r.kind === "failed") {
        const cause = Object.assign(new Error(r.message), { stack: r.stack });
        return this.fail(new Error(`${this.name(i)} failed: ${r.message}`, { cause }));
      }
      const waiter = this.waiting.get(i);
      if (!waiter) return;
      this.waiting.delete(i);
      clearTimeout(waiter.timer);
      waiter.resolve(r);
    });
    worker.on("error", (e) => this.fail(new Error(`${this.name(i)} crashed: ${e.message}`, { cause: e })));
    worker.on("exit", (code) => this.fail(new Error(`${this.name(i)} exited with code ${code}`)));
  }

  /** The next reply of worker i; rejected when any worker fails, so a step never waits on a dead pool. */
  private reply(i: number, what: string, ms: number): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`${this.name(i)} did not answer ${what} within ${ms / 1000} s; it may be stuck`)), ms);
      this.waiting.set(i, { resolve, reject, timer });
    });
    reply.catch(() => {}); // awaited by the caller; this only keeps a failure before that from counting as unhandled
    return reply;
  }

  /** The first failure wins and ends every wait in progress; the pool refuses further steps. */
  private fail(e: Error): void {
    this.failure ??= e;
    for (const waiter of this.waiting.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(this.failure);
    }
    this.waiting.clear();
  }
}
