export interface LrSchedule {
  lr: number;
  minLr: number;
  warmupSteps: number;
  steps: number;
}

/**
 * Learning rate for the update that takes the model from `step` to `step + 1` (0-based):
 *
 * - warmup, step < warmupSteps:  lr * (step + 1) / warmupSteps
 *   (the first update already moves; the last warmup update uses exactly lr)
 * - decay, warmupSteps <= step <= steps:
 *   p = (step - warmupSteps) / (steps - warmupSteps)
 *   minLr + 0.5 * (1 + cos(pi * p)) * (lr - minLr)     (lr at p = 0, minLr at p = 1)
 * - after the run, step > steps: minLr
 */
export function lrAt(step: number, s: LrSchedule): number {
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  if (step >= s.steps) return s.minLr;
  const p = (step - s.warmupSteps) / (s.steps - s.warmupSteps);
  return s.minLr + 0.5 * (1 + Math.cos(Math.PI * p)) * (s.lr - s.minLr);
}
