import type { ScalingPoint } from "./points";

/** What the panel knows of each compared run. */
export interface ScalingRunInput {
  id: string;
  name: string;
  status: string;
  /** N: the trainer's own count (all parameters), or an outside run's param; null when unknown. */
  params: number | null;
  /** D: tokens seen; null when unknown. */
  tokens: number | null;
  bestValLoss: number | null;
}

export interface Excluded {
  id: string;
  name: string;
  reason: string;
}

/**
 * The runs a fit can use: finished (completed; a stopped run never reached the end of its
 * schedule, so its loss is not the one its N and D buy), with N, D and a validation loss.
 */
export function scalingPoints(runs: ScalingRunInput[]): { points: ScalingPoint[]; excluded: Excluded[] } {
  const points: ScalingPoint[] = [];
  const excluded: Excluded[] = [];
  for (const r of runs) {
    const out = (reason: string) => excluded.push({ id: r.id, name: r.name, reason });
    if (r.status !== "completed") out(`not finished (${r.status})`);
    else if (r.bestValLoss === null || !Number.isFinite(r.bestValLoss)) out("no val_loss logged");
    else if (r.params === null || !(r.params > 0)) out("parameter count unknown (an outside run needs a param n_params)");
    else if (r.tokens === null || !(r.tokens > 0)) out("tokens seen unknown (an outside run needs a param tokens)");
    else points.push({ id: r.id, params: r.params, tokens: r.tokens, loss: r.bestValLoss });
  }
  return { points, excluded };
}
