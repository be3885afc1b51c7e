/**
 * One step's training batch rebuilt from a checkpoint: the rng and the data position are restored,
 * the draws of the steps from the checkpoint to the one asked for are replayed exactly as the
 * loop makes them (a batch per step at the batch-size ramp, then the objective's own draws: the
 * mlm masks), and the asked step's batch is drawn with where each window came from.
 */
import { Rng } from "../../lib/rng";
import type { RunConfig } from "../../lib/run-config";
import { batchSizeAt } from "../../lib/schedule";
import { type Batch, MixtureSampler, type MixtureDomain, type WindowSource } from "../data/mixture";
import { mlmCorrupt } from "../model/objectives";

export interface ReplayStart {
  step: number;
  rngState: number[];
  dataState: unknown;
  tokensSeen: number;
}

export interface Rebuilt {
  batch: Batch;
  rows: number;
  sources: WindowSource[];
  tokensSeen: number;
  /** The rng as the step's loss found it (after the batch draw): the mlm masks come from it. */
  lossRng: Rng;
}

/** Replays the loop's draws from `start` to `step` and draws that step's batch. */
export function rebuildBatch(
  config: RunConfig,
  domains: MixtureDomain[],
  start: ReplayStart,
  step: number,
  opts: { vocabSize: number; maskId: number; onProgress?: (done: number, total: number) => void },
): Rebuilt {
  if (step < start.step) throw new Error(`step ${step} is before the checkpoint at step ${start.step}`);
  const T = config.contextLength;
  const rng = new Rng(0);
  rng.setState(start.rngState);
  const sampler = new MixtureSampler(domains, config.batchSize, T, rng);
  sampler.setState(start.dataState);
  let tokensSeen = start.tokensSeen;
  const total = step - start.step;
  for (let s = start.step; s < step; s++) {
    const rows = batchSizeAt(tokensSeen, config);
    const batch = sampler.nextBatch(rows);
    drawObjective(config, batch, rows, T, opts.vocabSize, opts.maskId, rng);
    tokensSeen += rows * T;
    if (opts.onProgress && (s - start.step) % 50 === 0) opts.onProgress(s - start.step, total);
  }
  const rows = batchSizeAt(tokensSeen, config);
  const sources: WindowSource[] = [];
  const batch = sampler.nextBatch(rows, sources);
  const lossRng = new Rng(0);
  lossRng.setState(rng.getState());
  return { batch, rows, sources, tokensSeen, lossRng };
}

/**
 * What the step's loss draws from the rng after its batch. Only mlm draws (its masks, row by row,
 * so micro-batches and gradient workers draw the same); a new draw in objectives.ts must be
 * mirrored here, as in parallel/shard-rng.ts.
 */
export function drawObjective(config: RunConfig, batch: Batch, rows: number, T: number, vocabSize: number, maskId: number, rng: Rng): void {
  if (config.objective === "mlm") mlmCorrupt(batch.x.subarray(0, rows * T), rows, T, vocabSize, maskId, rng);
}
