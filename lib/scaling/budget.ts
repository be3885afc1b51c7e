const PREFIX: Record<string, number> = { "": 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Z: 1e21 };

/** Largest budget the panel extrapolates to: far beyond any run here, yet finite in every formula. */
export const MAX_BUDGET = 1e30;

/**
 * A compute budget as a person types it: "1e18", "1e18 FLOPs", "2.5e17 flop", "3 EFLOP", "6e+20".
 * Returns the FLOPs or a message saying what is wrong.
 */
export function parseBudget(text: string): { flops: number } | { error: string } {
  const m = /^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKMGTPEZ]?)\s*(?:flops?|FLOPs?|FLOPS)?\s*$/.exec(text);
  if (!m) return { error: `“${text.trim()}” is not a compute budget; type FLOPs such as 1e18, “1e18 FLOPs” or “3 PFLOP”` };
  const flops = Number(m[1]) * PREFIX[m[2]];
  if (!Number.isFinite(flops) || flops <= 0) return { error: "The budget must be a number of FLOPs above 0" };
  if (flops > MAX_BUDGET) return { error: `At most ${MAX_BUDGET.toExponential(0)} FLOPs` };
  return { flops };
}
