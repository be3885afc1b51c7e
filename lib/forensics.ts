import { z } from "zod";
import { median as rollingMedian } from "./anomaly/rolling";

/** Longest decoded text kept per document piece. */
export const MAX_PIECE_CHARS = 4000;

/** Part of one document inside a training window; offsets are in the domain's train stream as prepared. */
export const ForensicPiece = z.object({
  /** The document's id within its domain: the offset of its first token (just after the previous end-of-text). */
  docStart: z.number().int().min(0),
  /** The document's tokens, its end-of-text included (bounded scan: null when longer than the scan). */
  docLength: z.number().int().min(1).nullable(),
  /** Offset of the piece's first token. */
  offset: z.number().int().min(0),
  tokens: z.number().int().min(1),
  text: z.string(),
  /** The piece's text was cut at MAX_PIECE_CHARS. */
  truncated: z.boolean(),
});
export type ForensicPiece = z.infer<typeof ForensicPiece>;

export const ForensicRow = z.object({
  row: z.number().int().min(0),
  domain: z.string(),
  /** The row's loss under the run's objective with the checkpoint's weights; null when not finite. */
  loss: z.number().nullable(),
  pieces: z.array(ForensicPiece),
});
export type ForensicRow = z.infer<typeof ForensicRow>;

/** What trainer/cli/forensics.ts prints: one step's batch rebuilt from a checkpoint. */
export const RebuiltBatch = z.object({
  step: z.number().int().min(0),
  checkpointStep: z.number().int().min(0),
  objective: z.string(),
  contextLength: z.number().int(),
  /** Tokens seen before the step; the batch-size ramp reads it. */
  tokensSeen: z.number(),
  /** Whether the text is decoded (false: the dataset's tokenizer could not be read; the text is token ids). */
  decoded: z.boolean(),
  decodeNote: z.string().nullable(),
  /** Domains and documents the run excluded from its data (as the checkpoint's config says). */
  excluded: z.object({ domains: z.array(z.string()), documents: z.number().int() }),
  rows: z.array(ForensicRow),
  ms: z.number(),
});
export type RebuiltBatch = z.infer<typeof RebuiltBatch>;

/** One per-layer statistic at the step against its median over the steps before it. */
export const LayerNormRow = z.object({
  row: z.string(),
  value: z.number().nullable(),
  median: z.number().nullable(),
  /** value / median; null when either is missing or the median is 0. */
  ratio: z.number().nullable(),
  /** Points the median was taken over. */
  window: z.number().int(),
});
export type LayerNormRow = z.infer<typeof LayerNormRow>;

/** How many steps before the inspected one the rolling median covers. */
export const MEDIAN_WINDOW = 50;

/** Median of finite values; null for none. */
export function median(values: readonly number[]): number | null {
  const finite = values.filter(Number.isFinite);
  return finite.length ? rollingMedian(finite) : null;
}

/**
 * Each row's value at `step` against the median of its last `window` points before `step`.
 * `series`: per row, points in any order.
 */
export function layerNormsAt(series: Map<string, { step: number; value: number | null }[]>, step: number, window = MEDIAN_WINDOW): LayerNormRow[] {
  return [...series].map(([row, points]) => {
    const at = points.find((p) => p.step === step);
    const before = points
      .filter((p) => p.step < step && p.value !== null)
      .sort((a, b) => a.step - b.step)
      .slice(-window)
      .map((p) => p.value as number);
    const m = median(before);
    const value = at?.value ?? null;
    return { row, value, median: m, ratio: value !== null && m !== null && m !== 0 ? value / m : null, window: before.length };
  });
}

export const ForensicsRequest = z.object({
  runId: z.string().min(1).max(64),
  step: z.number({ error: "step must be a number" }).int("step must be a whole number").min(0, "step must be at least 0").max(1e9),
});

/**
 * Why a batch rebuilt from the checkpoint at `checkpointStep` may not be the one trained at
 * `step`: each rollback (alert at `step`, its message naming the checkpoint it restored) between
 * them changed the data path, as the rng and the cursors go on past the spike.
 */
export function rollbackCaveats(rollbacks: { step: number; message: string }[], checkpointStep: number, step: number): string[] {
  return rollbacks
    .filter((a) => a.step >= checkpointStep)
    .map((a) => ({ at: a.step, to: Number(/restored the checkpoint at step (\d+)/.exec(a.message)?.[1] ?? Number.NaN) }))
    .filter((r) => !(r.to > step))
    .map((r) =>
      `A rollback at step ${r.at}${Number.isFinite(r.to) ? ` (back to step ${r.to})` : ""} lies between the checkpoint at step ${checkpointStep} and step ${step}: ` +
      "it skipped data and redrew the batches after it, so the rebuilt batch may differ from the one trained (it is the batch of the path the checkpoint now holds).",
    );
}
