import type { ParametricLaw } from "./fit-nd";
import { predictND } from "./fit-nd";

export interface OptimalSplit {
  params: number;
  tokens: number;
  tokensPerParam: number;
  loss: number;
}

/**
 * The N and D that minimise L(N, D) under C = 6·N·D. Setting d/dN of A·N^−α + B·(C/6N)^−β to
 * zero gives α·A·N^−α = β·B·(C/6)^−β·N^β, so N_opt = G·(C/6)^(β/(α+β)) with
 * G = (α·A / (β·B))^(1/(α+β)), and D_opt = (C/6)/N_opt (Hoffmann et al. 2022, eq. 4).
 * Needs α, β > 0; otherwise the loss has no interior minimum and null comes back.
 */
export function optimalSplit(law: ParametricLaw, compute: number): OptimalSplit | null {
  const { A, B, alpha, beta } = law;
  if (!(alpha > 0 && beta > 0 && A > 0 && B > 0 && compute > 0)) return null;
  const G = ((alpha * A) / (beta * B)) ** (1 / (alpha + beta));
  const params = G * (compute / 6) ** (beta / (alpha + beta));
  const tokens = compute / 6 / params;
  return { params, tokens, tokensPerParam: tokens / params, loss: predictND(law, params, tokens) };
}
