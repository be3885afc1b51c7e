/**
 * Hoffmann et al. 2022 ("Training Compute-Optimal Large Language Models"), Approach 3: the
 * parametric fit L(N, D) = E + A/N^α + B/D^β. Fit on MassiveText with its SentencePiece tokenizer,
 * so on another dataset or tokenizer the loss is indicative only. N counts all parameters.
 */
export const CHINCHILLA = { E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28 } as const;

/** Chinchilla's rule of thumb: compute-optimal training uses about 20 tokens per parameter. */
export const TOKENS_PER_PARAM = 20;

/** Ratios within this factor of 20 count as about compute-optimal. */
const NEAR = 1.25;

export function chinchillaLoss(params: number, tokens: number): number {
  const { E, A, B, alpha, beta } = CHINCHILLA;
  return E + A / params ** alpha + B / tokens ** beta;
}

/** With C = 6·N·D and D = 20·N: N_opt = √(C / 120), D_opt = 20·N_opt. */
export function computeOptimal(flops: number): { params: number; tokens: number } {
  const params = Math.sqrt(flops / (6 * TOKENS_PER_PARAM));
  return { params, tokens: TOKENS_PER_PARAM * params };
}

export type Regime = "under-trained" | "compute-optimal" | "over-trained";

/** Fewer tokens per parameter than ≈ 20 is under-trained for the compute spent; more is over-trained. */
export function regime(tokensPerParam: number): Regime {
  if (tokensPerParam < TOKENS_PER_PARAM / NEAR) return "under-trained";
  if (tokensPerParam > TOKENS_PER_PARAM * NEAR) return "over-trained";
  return "compute-optimal";
}
