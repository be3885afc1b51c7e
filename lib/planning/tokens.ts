import type { RunConfig } from "../run-config";
import { batchSizeAt, type BatchRamp } from "../schedule";

export type TokenConfig = BatchRamp & Pick<RunConfig, "steps" | "contextLength">;

/**
 * Training tokens D of the whole run: steps × batch × context, except that a batch-size ramp makes
 * the early steps smaller. The ramp is walked in runs of equal batch (at most one per micro-batch
 * size step), with the trainer's own batchSizeAt, so this agrees with what the trainer consumes.
 */
export function trainingTokens(c: TokenConfig): number {
  const T = c.contextLength;
  let tokens = 0;
  let step = 0;
  while (step < c.steps) {
    const b = batchSizeAt(tokens, c);
    if (b >= c.batchSize || c.batchRampStart <= 0 || tokens >= c.batchRampTokens) return tokens + (c.steps - step) * b * T;
    // Tokens at which the ramp's raw size reaches the next multiple of the micro-batch (or the ramp ends).
    const unit = c.microBatchSize > 0 ? c.microBatchSize : 1;
    const next = Math.min(c.batchRampTokens, ((b + unit - c.batchRampStart) * c.batchRampTokens) / (c.batchSize - c.batchRampStart));
    const n = Math.min(c.steps - step, Math.max(1, Math.floor((next - tokens) / (b * T))));
    tokens += n * b * T;
    step += n;
  }
  return tokens;
}
