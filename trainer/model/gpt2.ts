import * as tf from "@tensorflow/tfjs";
import { attend } from "./attention";
import { gelu, layerNorm, linear } from "./layers";
import { qkNorm, qkNormSpecs } from "./qk-norm";
import type { Architecture, ParamSpec } from "./types";

/** GPT-2: learned positions, pre-LayerNorm blocks with biases, fused QKV, 4x GELU MLP. */
export const gpt2: Architecture = {
  specs(cfg) {
    const C = cfg.dModel;
    const specs: ParamSpec[] = [
      { name: "wte", shape: [cfg.vocabSize, C], init: "normal" },
      { name: "wpe", shape: [cfg.contextLength, C], init: "normal" },
    ];
    for (let l = 0; l < cfg.nLayer; l++) {
      const p = `h.${l}.`;
      specs.push(
        { name: p + "ln_1.g", shape: [C], init: "ones" },
        { name: p + "ln_1.b", shape: [C], init: "zeros" },
        { name: p + "attn.c_attn.w", shape: [C, 3 * C], init: "normal" },
        { name: p + "attn.c_attn.b", shape: [3 * C], init: "zeros" },
        ...qkNormSpecs(p, cfg),
        { name: p + "attn.c_proj.w", shape: [C, C], init: "proj" },
        { name: p + "attn.c_proj.b", shape: [C], init: "zeros" },
        { name: p + "ln_2.g", shape: [C], init: "ones" },
        { name: p + "ln_2.b", shape: [C], init: "zeros" },
        { name: p + "mlp.c_fc.w", shape: [C, 4 * C], init: "normal" },
        { name: p + "mlp.c_fc.b", shape: [4 * C], init: "zeros" },
        { name: p + "mlp.c_proj.w", shape: [4 * C, C], init: "proj" },
        { name: p + "mlp.c_proj.b", shape: [C], init: "zeros" },
      );
    }
    specs.push({ name: "ln_f.g", shape: [C], init: "ones" }, { name: "ln_f.b", shape: [C], init: "zeros" });
    return specs;
  },

  embed(p, cfg, idx) {
    const [B, T] = idx.shape;
    const C = cfg.dModel;
    const tok = tf.gather(p("wte"), tf.reshape(idx, [B * T]));
    const pos = tf.slice(p("wpe"), [0, 0], [T, C]);
    return tf.reshape(tf.add(tf.reshape(tok, [B, T, C]), pos), [B * T, C]);
  },

  block(x, p, { cfg, B, T, mask, attentionProbe }) {
    const C = cfg.dModel;
    const h = layerNorm(x, p("ln_1.g"), p("ln_1.b"));
    const w = p("attn.c_attn.w");
    const b = p("attn.c_attn.b");
    // The fused [C, 3C] weight is sliced, not its [B*T, 3C] output: wasm slices and concats copy
    // row by row in JS, so cutting C weight rows is far cheaper than B*T activation rows.
    const qkv = (i: number) => linear(h, tf.slice(w, [0, i * C], [C, C]), tf.slice(b, [i * C], [C]));
    const [q, k] = qkNorm(qkv(0), qkv(1), p, cfg, "layernorm");
    const y = attend(q, k, qkv(2), B, T, cfg.nHead, mask, cfg.attnSoftCap, attentionProbe);
    x = tf.add(x, linear(y, p("attn.c_proj.w"), p("attn.c_proj.b")));
    const m = gelu(linear(layerNorm(x, p("ln_2.g"), p("ln_2.b")), p("mlp.c_fc.w"), p("mlp.c_fc.b")));
    return tf.add(x, linear(m, p("mlp.c_proj.w"), p("mlp.c_proj.b")));
  },

  finalNorm: (x, p) => layerNorm(x, p("ln_f.g"), p("ln_f.b")),
};
