import type * as tf from "@tensorflow/tfjs";
import type { Lookup } from "./gradient-checkpointing";
import { type QkNormKind, qkNormalise } from "./stabilisers";
import type { ModelConfig, ParamSpec } from "./types";

/** A block's QK-norm gains (none when qkNorm is off); `p` is the block's "h.<l>." prefix. Ones draw nothing from the init rng. */
export function qkNormSpecs(p: string, cfg: ModelConfig): ParamSpec[] {
  if (!cfg.qkNorm) return [];
  const hd = cfg.dModel / cfg.nHead;
  return [
    { name: p + "attn.q_norm.g", shape: [hd], init: "ones" },
    { name: p + "attn.k_norm.g", shape: [hd], init: "ones" },
  ];
}

/** q and k [B*T, C] as the attention scores see them: normalised per head when cfg.qkNorm, else as they are. */
export function qkNorm(q: tf.Tensor2D, k: tf.Tensor2D, p: Lookup, cfg: ModelConfig, kind: QkNormKind): [tf.Tensor2D, tf.Tensor2D] {
  if (!cfg.qkNorm) return [q, k];
  return [qkNormalise(q, p("attn.q_norm.g"), cfg.nHead, kind), qkNormalise(k, p("attn.k_norm.g"), cfg.nHead, kind)];
}
