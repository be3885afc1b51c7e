import os from "node:os";

/** Rows [start, start + count) of a batch. */
export interface Shard {
  start: number;
  count: number;
}

/** `rows` cut into n contiguous shards whose sizes differ by at most one (larger first); some are empty when rows < n. */
export function splitRows(rows: number, n: number): Shard[] {
  const base = Math.floor(rows / n);
  const extra = rows % n;
  const out: Shard[] = [];
  for (let i = 0, start = 0; i < n; i++) {
    const count = base + (i < extra ? 1 : 0);
    out.push({ start, count });
    start += count;
  }
  return out;
}

/** Backends that compute on one core; native TensorFlow already spreads each op over every core. */
const ONE_CORE = new Set(["wasm", "cpu"]);

/**
 * The worker threads a run uses: `requested`, or for 0 one per core on a one-core backend and none
 * (1, the trainer's own thread) on the others; never more than the batch has rows.
 */
export function workerCount(requested: number, backend: string, batchSize: number, cores = os.availableParallelism()): number {
  const n = requested > 0 ? requested : ONE_CORE.has(backend) ? cores : 1;
  return Math.max(1, Math.min(n, batchSize));
}
