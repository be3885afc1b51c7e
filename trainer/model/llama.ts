import * as tf from "@tensorflow/tfjs";
import { swigluHidden } from "../../lib/estimates";
import { attend, rope } from "./attention";
import { matmul, rmsNorm, swiglu } from "./layers";
import { qkNorm, qkNormSpecs } from "./qk-norm";
import type { Architecture, ParamSpec } from "./types";

/**
 * Llama: no position table (rotary q and k instead), pre-RMSNorm blocks, no biases anywhere,
 * separate q/k/v/o projections, SwiGLU MLP w2(silu(x w1) * x w3) of width swigluHidden(d).
 * Names follow Meta's checkpoint (wq, w1, ...), so an exporter maps them one to one.
 */
export const llama: Architecture = {
  specs(cfg) {
    const C = cfg.dModel;
    const F = swigluHidden(C);
    const specs: ParamSpec[] = [{ name: "wte", shape: [cfg.vocabSize, C], init: "normal" }];
    for (let l = 0; l < cfg.nLayer; l++) {
      const p = `h.${l}.`;
      specs.push(
        { name: p + "attn_norm.g", shape: [C], init: "ones" },
        { name: p + "attn.wq", shape: [C, C], init: "normal" },
        { name: p + "attn.wk", shape: [C, C], init: "normal" },
        { name: p + "attn.wv", shape: [C, C], init: "normal" },
        { name: p + "attn.wo", shape: [C, C], init: "proj" },
        ...qkNormSpecs(p, cfg),
        { name: p + "mlp_norm.g", shape: [C], init: "ones" },
        { name: p + "mlp.w1", shape: [C, F], init: "normal" },
        { name: p + "mlp.w3", shape: [C, F], init: "normal" },
        { name: p + "mlp.w2", shape: [F, C], init: "proj" },
      );
    }
    specs.push({ name: "norm_f.g", shape: [C], init: "ones" });
    return specs;
  },

  embed(p, cfg, idx) {
    const [B, T] = idx.shape;
    return tf.gather(p("wte"), tf.reshape(idx, [B * T])) as tf.Tensor2D;
  },

  block(x, p, { cfg, B, T, mask, attentionProbe }) {
    const H = cfg.nHead;
    const h = rmsNorm(x, p("attn_norm.g"));
    const proj = (name: string) => matmul(h, p(name) as tf.Tensor2D);
    // QK-norm before rotary: the rotation keeps each head's norm, so the scores stay bounded.
    const [q, k] = qkNorm(proj("attn.wq"), proj("attn.wk"), p, cfg, "rmsnorm");
    const y = attend(rope(q, B, T, H), rope(k, B, T, H), proj("attn.wv"), B, T, H, mask, cfg.attnSoftCap, attentionProbe);
    x = tf.add(x, matmul(y, p("attn.wo") as tf.Tensor2D));
    const m = rmsNorm(x, p("mlp_norm.g"));
    const gated = swiglu(matmul(m, p("mlp.w1") as tf.Tensor2D), matmul(m, p("mlp.w3") as tf.Tensor2D));
    return tf.add(x, matmul(gated, p("mlp.w2") as tf.Tensor2D));
  },

  finalNorm: (x, p) => rmsNorm(x, p("norm_f.g")),
};
