/**
 * One finished run as the fits see it.
 * - params: N, every parameter of the model, embeddings included (Hoffmann et al. 2022's
 *   convention, and lib/estimates.ts paramCount's; Kaplan et al. 2020 left embeddings out).
 * - tokens: D, tokens trained on.
 * - loss: its best validation loss, nats per token.
 * Compute is C = 6·N·D (lib/planning trainingFlops), the count Chinchilla's fits are stated in.
 */
export interface ScalingPoint {
  id: string;
  params: number;
  tokens: number;
  loss: number;
}

export const computeOf = (p: Pick<ScalingPoint, "params" | "tokens">) => 6 * p.params * p.tokens;

/** Runs the parametric L(N, D) fit needs: five unknowns want at least five distinct points. */
export const MIN_POINTS_ND = 5;

/** Problems that make the points unusable, each said plainly; empty when they are fine. */
export function pointProblems(points: ScalingPoint[], minDistinct: number): string[] {
  const problems: string[] = [];
  for (const p of points) {
    const bad = (["params", "tokens", "loss"] as const).filter((k) => !Number.isFinite(p[k]) || p[k] <= 0);
    if (bad.length) problems.push(`Run ${p.id}: ${bad.map((k) => `${k} is ${p[k]}`).join(", ")}; each must be a finite number above 0`);
  }
  const seen = new Map<string, string>();
  for (const p of points) {
    const key = `${p.params}|${p.tokens}`;
    const other = seen.get(key);
    if (other !== undefined) problems.push(`Runs ${other} and ${p.id} have the same N = ${p.params} and D = ${p.tokens}; each point needs its own (N, D)`);
    else seen.set(key, p.id);
  }
  if (problems.length === 0 && seen.size < minDistinct)
    problems.push(`${seen.size} run${seen.size === 1 ? "" : "s"} with distinct (N, D); the fit needs at least ${minDistinct}: ${minDistinct - seen.size} more`);
  return problems;
}

/** Thrown by a fit given unusable points; `problems` lists each reason. */
export class ScalingInputError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
  }
}
