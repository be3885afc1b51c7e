import { flopsPerToken, paramCount, type ModelShape } from "../estimates";

export interface FlopsPerToken {
  /** 6N: forward (2N) and backward (4N) through every weight. */
  dense: number;
  /** 12·L·H·Q·T = 12·L·d·T: the QKᵀ and AV products, forward and backward. */
  attention: number;
  total: number;
}

/** Training FLOPs per token, split as in PaLM (Chowdhery et al. 2022, appendix B). */
export function flopsPerTokenBreakdown(c: ModelShape): FlopsPerToken {
  const dense = 6 * paramCount(c);
  const total = flopsPerToken(c);
  return { dense, attention: total - dense, total };
}

/** C ≈ 6·N·D (Kaplan et al. 2020; the compute Chinchilla's fits are stated in). */
export function trainingFlops(params: number, tokens: number): number {
  return 6 * params * tokens;
}
