import type { RunConfig } from "./run-config";

/** The model's shape; vocabSize comes from the dataset's tokenizer (256 bytes + merges + end-of-text). */
export type ModelShape = Pick<RunConfig, "nLayer" | "dModel" | "contextLength"> & { vocabSize: number };

/**
 * Parameters of the GPT in trainer/model.ts: token and position embeddings, per block two
 * LayerNorms, fused QKV, output projection and a 4× MLP (12d² + 13d), and a final LayerNorm.
 * The LM head is tied to the token embedding, so it adds nothing.
 */
export function paramCount(c: ModelShape): number {
  const d = c.dModel;
  return c.vocabSize * d + c.contextLength * d + c.nLayer * (12 * d * d + 13 * d) + 2 * d;
}

export function tokensPerStep(c: Pick<RunConfig, "batchSize" | "contextLength">): number {
  return c.batchSize * c.contextLength;
}

/** Training FLOPs per token: 6N for the weights plus attention's 12·L·d·T (PaLM appendix B). */
export function flopsPerToken(c: ModelShape): number {
  return 6 * paramCount(c) + 12 * c.nLayer * c.dModel * c.contextLength;
}
