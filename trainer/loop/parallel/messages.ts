// What the trainer's thread (pool.ts) and a gradient worker (worker.ts) say to each other. Bulk
// data never goes in a message: parameters, tokens and gradients sit in SharedArrayBuffers.
import type { BackendChoice } from "../../backend/backend";
import type { ModelConfig } from "../../model/model";

/** Test-only: make worker `worker` (0-based) misbehave at its `job`-th step (1-based). */
export interface WorkerFault {
  worker: number;
  job: number;
  kind: "throw" | "exit" | "hang";
}

export interface WorkerInit {
  index: number;
  backend: BackendChoice;
  model: ModelConfig;
  /** Parameter names and shapes, in layout order (flatLayout). */
  shapes: [string, number[]][];
  T: number;
  /** Rows per forward/backward pass within a shard; 0 = the whole shard. */
  micro: number;
  maskId: number;
  /** Float32 [P]: the parameters, written by the trainer before every step. */
  params: SharedArrayBuffer;
  /** Int32 [2, maxRows, T]: the step's inputs x, then its targets y. */
  tokens: SharedArrayBuffer;
  maxRows: number;
  /** Float32 [P]: this worker's gradient, the mean over its shard's rows. */
  grads: SharedArrayBuffer;
  fault?: WorkerFault;
}

/** Trainer → worker: compute the gradient of rows [start, start + count), drawing from an rng at `rng`. */
export interface Job {
  start: number;
  count: number;
  rng: number[];
}

/** Worker → trainer: once at start-up, then one per job. */
export type Reply =
  | { kind: "ready" }
  | {
      kind: "done"; loss: number; /** Parameters the loss does not reach (their gradient slots are stale). */ missing: string[];
      /** The z-loss term, when the model config has zLoss on. */ z?: number;
    }
  | { kind: "failed"; message: string; stack?: string };
