import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../lib/rng";
import type { RunConfig } from "../../lib/run-config";
import { attentionMask, type Objective } from "./attention";
import { crossEntropy } from "./cross-entropy";
import { gpt2 } from "./gpt2";
import { checkpointed, type Lookup } from "./gradient-checkpointing";
import { matmul } from "./layers";
import { llama } from "./llama";
import { softCap } from "./stabilisers";
import type { Arch, Architecture, BlockCtx, ModelConfig, ModelProbe, Params } from "./types";

export { crossEntropy };
export type { Lookup, Objective };
export type { Arch, Architecture, BlockCtx, ModelConfig, ModelProbe, Params, ParamSpec } from "./types";
/** The model part of a run config. */
export function modelConfig(c: RunConfig, vocabSize: number): ModelConfig {
  const { arch, nLayer, nHead, dModel, contextLength, objective, prefixFraction, gradientCheckpointing, qkNorm, logitSoftCap, attnSoftCap, zLoss } = c;
  return { arch, nLayer, nHead, dModel, contextLength, vocabSize, objective, prefixFraction, gradientCheckpointing, qkNorm, logitSoftCap, attnSoftCap, zLoss };
}

const ARCHS: Record<Arch, Architecture> = { gpt2, llama };
const archOf = (cfg: ModelConfig) => ARCHS[cfg.arch ?? "gpt2"];

export function countParams(cfg: ModelConfig): number {
  return archOf(cfg).specs(cfg).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

// Engine variable names must be unique per process; several models may coexist (tests, resume).
let instances = 0;

/**
 * GPT-2 init for both architectures: N(0, 0.02) for embeddings and weights, N(0, 0.02/sqrt(2*nLayer))
 * for the projections that write into the residual stream, zero biases, unit norm gains. Drawn in
 * JS from `rng` in spec order, so a seed gives the same weights on every backend. Returned sorted
 * by name.
 */
export function createParams(cfg: ModelConfig, rng: Rng): Params {
  const prefix = `gpt${instances++}/`;
  const projStd = 0.02 / Math.sqrt(2 * cfg.nLayer);
  const out: [string, tf.Variable][] = [];
  for (const s of archOf(cfg).specs(cfg)) {
    const data = new Float32Array(s.shape.reduce((a, b) => a * b, 1));
    if (s.init === "ones") data.fill(1);
    else if (s.init !== "zeros") {
      const std = s.init === "proj" ? projStd : 0.02;
      for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    }
    const t = tf.tensor(data, s.shape, "float32");
    out.push([s.name, tf.variable(t, true, prefix + s.name)]);
    t.dispose();
  }
  out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new Map(out);
}

export function disposeParams(params: Params): void {
  for (const v of params.values()) v.dispose();
}

function lookup(params: Params): Lookup {
  return (name) => {
    const v = params.get(name);
    if (!v) throw new Error(`missing parameter ${name}`);
    return v;
  };
}

/** Final hidden states [B*T, C] (after the final norm) under the config's attention mask. */
export function hiddenStates(params: Params, cfg: ModelConfig, idx: tf.Tensor2D, probe?: ModelProbe): tf.Tensor2D {
  const [B, T] = idx.shape;
  if (T > cfg.contextLength) throw new Error(`sequence length ${T} exceeds contextLength ${cfg.contextLength}`);
  const arch = archOf(cfg);
  const get = lookup(params);
  const ctx: BlockCtx = { cfg, B, T, mask: attentionMask(cfg.objective ?? "clm", T, cfg.prefixFraction ?? 0.5) };
  const block = (x: tf.Tensor2D, p: Lookup) => arch.block(x, p, ctx);
  let x = arch.embed(get, cfg, idx);
  probe?.activation("emb", x);
  for (let l = 0; l < cfg.nLayer; l++) {
    const prefix = `h.${l}.`;
    if (probe) {
      x = arch.block(x, (n) => get(prefix + n), { ...ctx, attentionProbe: (p) => probe.attention(l, p) });
      probe.activation(l, x);
    } else if (cfg.gradientCheckpointing) {
      const names = [...params.keys()].filter((n) => n.startsWith(prefix));
      x = checkpointed(block, x, names.map((n) => n.slice(prefix.length)), names.map(get));
    } else x = block(x, (n) => get(prefix + n));
  }
  const out = arch.finalNorm(x, get);
  probe?.activation("lnf", out);
  return out;
}

/** Logits [N, V] of hidden states [N, C]: the LM head is the token embedding, transposed, then the config's soft cap. */
export function lmHead(params: Params, h: tf.Tensor2D, cfg: ModelConfig): tf.Tensor2D {
  const logits = matmul(h, tf.transpose(lookup(params)("wte")) as tf.Tensor2D);
  return cfg.logitSoftCap ? softCap(logits, cfg.logitSoftCap) : logits;
}

/** Logits [B, T, V] for token ids idx [B, T] (int32). */
export function forward(params: Params, cfg: ModelConfig, idx: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, T] = idx.shape;
    return tf.reshape(lmHead(params, hiddenStates(params, cfg, idx), cfg), [B, T, cfg.vocabSize]) as tf.Tensor3D;
  });
}

/**
 * Mean next-token cross-entropy at every position of idx [B, T] against targets [B, T]. This is
 * the clm loss; objectiveLoss (trainer/model/objectives.ts) handles every objective.
 */
export function lossFn(params: Params, cfg: ModelConfig, idx: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const [B, T] = idx.shape;
    const N = B * T;
    const logits = tf.reshape(forward(params, cfg, idx), [N, cfg.vocabSize]) as tf.Tensor2D;
    return crossEntropy(logits, tf.reshape(targets, [N]) as tf.Tensor1D);
  });
}
