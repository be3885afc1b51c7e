import type * as tf from "@tensorflow/tfjs";
import type { ARCHITECTURES } from "../../lib/run-config";
import type { Objective } from "./attention";
import type { Lookup } from "./gradient-checkpointing";

export type Arch = (typeof ARCHITECTURES)[number];

export interface ModelConfig {
  /** gpt2 when absent. */
  arch?: Arch;
  nLayer: number;
  nHead: number;
  dModel: number;
  contextLength: number;
  /** Token ids are in [0, vocabSize); set by the dataset's tokenizer. */
  vocabSize: number;
  /** Picks the attention mask (forward) and the loss positions (objectiveLoss); clm when absent. */
  objective?: Objective;
  /** prefix objective: share of each sequence attended bidirectionally; 0.5 when absent. */
  prefixFraction?: number;
  /** Recompute each block in backward instead of keeping its activations. */
  gradientCheckpointing?: boolean;
  /** Normalise q and k per head before the attention scores (gains h.<l>.attn.{q,k}_norm.g). */
  qkNorm?: boolean;
  /** LM-head logits become cap * tanh(logits / cap); null or absent = no cap. */
  logitSoftCap?: number | null;
  /** Attention scores (scaled, before the mask) become cap * tanh(scores / cap); null or absent = no cap. */
  attnSoftCap?: number | null;
  /** Training loss only (the forward ignores it): weight of the z-loss term mean(log Z^2); 0 or absent = off. */
  zLoss?: number;
}

export type Params = Map<string, tf.Variable>;

export interface ParamSpec {
  name: string;
  shape: number[];
  init: "normal" | "proj" | "zeros" | "ones";
}

export interface BlockCtx {
  cfg: ModelConfig;
  B: number;
  T: number;
  /** Additive [T, T] attention mask; null = every position sees every other. */
  mask: Float32Array | null;
  /** Called with the block's attention probabilities [B*H, T, T] (layer statistics only). */
  attentionProbe?: (probs: tf.Tensor3D) => void;
}

/** Observes a forward pass without changing it (trainer/loop/layer-stats.ts): never under a gradient tape. */
export interface ModelProbe {
  /** The residual stream [B*T, C]: after the embeddings ("emb"), after each block, after the final norm ("lnf"). */
  activation(row: "emb" | "lnf" | number, x: tf.Tensor2D): void;
  attention(block: number, probs: tf.Tensor3D): void;
}

/** One architecture. Weights are [in, out]; a block's lookup takes names without its "h.<l>." prefix. */
export interface Architecture {
  /** Parameter names, shapes and init, in the order init draws from the rng. */
  specs(cfg: ModelConfig): ParamSpec[];
  /** Input embeddings [B*T, C] of token ids [B, T]. */
  embed(p: Lookup, cfg: ModelConfig, idx: tf.Tensor2D): tf.Tensor2D;
  block(x: tf.Tensor2D, p: Lookup, ctx: BlockCtx): tf.Tensor2D;
  finalNorm(x: tf.Tensor2D, p: Lookup): tf.Tensor2D;
}
