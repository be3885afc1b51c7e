import type { RunConfig } from "./run-config";

/**
 * The model's shape; vocabSize comes from the dataset's tokenizer (256 bytes + merges + end-of-text).
 * `arch` defaults to gpt2.
 */
export type ModelShape = Pick<RunConfig, "nLayer" | "dModel" | "contextLength"> & Partial<Pick<RunConfig, "arch" | "qkNorm" | "nHead">> & { vocabSize: number };

/**
 * Llama's SwiGLU width: 8d/3 (the 4d MLP's parameter budget spread over three matrices), rounded
 * up to a multiple of 8 (Meta rounds to 256, too coarse for widths of 64). d = 768 gives 2048.
 */
export function swigluHidden(dModel: number): number {
  return 8 * Math.ceil(dModel / 3);
}

/**
 * Parameters of the model in trainer/model/model.ts. The LM head is tied to the token embedding in
 * both architectures, so it adds nothing.
 * - gpt2: token and position embeddings; per block two LayerNorms, fused QKV, output projection
 *   and a 4d MLP, all with biases (12d² + 13d); a final LayerNorm.
 * - llama: token embedding only (rotary positions have no weights); per block q, k, v, o (4d²),
 *   a SwiGLU MLP (3·d·swigluHidden(d)) and two RMSNorm gains; a final RMSNorm gain.
 * - qkNorm adds a q and a k gain of the head width per block (shared by the heads).
 */
export function paramCount(c: ModelShape): number {
  const d = c.dModel;
  if (c.qkNorm && !c.nHead) throw new Error("paramCount: qkNorm needs nHead for the gains' width");
  const qk = c.qkNorm ? c.nLayer * 2 * (d / c.nHead!) : 0;
  if (c.arch === "llama") return c.vocabSize * d + c.nLayer * (4 * d * d + 3 * d * swigluHidden(d) + 2 * d) + d + qk;
  return c.vocabSize * d + c.contextLength * d + c.nLayer * (12 * d * d + 13 * d) + 2 * d + qk;
}

export function tokensPerStep(c: Pick<RunConfig, "batchSize" | "contextLength">): number {
  return c.batchSize * c.contextLength;
}

/**
 * Training FLOPs per token: 6N for the weights plus attention's 12·L·d·T (PaLM appendix B), for
 * either architecture. Every objective runs full T×T attention (masks are additive), so the
 * attention term does not depend on it.
 */
export function flopsPerToken(c: ModelShape): number {
  return 6 * paramCount(c) + 12 * c.nLayer * c.dModel * c.contextLength;
}
