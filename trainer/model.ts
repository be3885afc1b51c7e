import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../lib/rng";

const LN_EPS = 1e-5;

export interface ModelConfig {
  nLayer: number;
  nHead: number;
  dModel: number;
  contextLength: number;
  /** Token ids are in [0, vocabSize); set by the dataset's tokenizer. */
  vocabSize: number;
}

export type Params = Map<string, tf.Variable>;

interface ParamSpec {
  name: string;
  shape: number[];
  init: "normal" | "proj" | "zeros" | "ones";
}

/** Parameter names and shapes in a fixed order (the order init draws from the rng). Weights are [in, out]. */
function paramSpecs(cfg: ModelConfig): ParamSpec[] {
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
}

export function countParams(cfg: ModelConfig): number {
  return paramSpecs(cfg).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

// Engine variable names must be unique per process; several models may coexist (tests, resume).
let instances = 0;

/**
 * GPT-2 init: N(0, 0.02) for embeddings and weights, N(0, 0.02/sqrt(2*nLayer)) for the
 * projections that write into the residual stream, zero biases, unit LayerNorm gains. Drawn in JS
 * from `rng`, so a seed gives the same weights on every backend. Returned sorted by name.
 */
export function createParams(cfg: ModelConfig, rng: Rng): Params {
  const prefix = `gpt${instances++}/`;
  const projStd = 0.02 / Math.sqrt(2 * cfg.nLayer);
  const out: [string, tf.Variable][] = [];
  for (const s of paramSpecs(cfg)) {
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

type Saver = (tensors: tf.Tensor[]) => void;
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/**
 * a @ b for 2-D tensors. The gradient transposes explicitly instead of using matMul's transpose
 * flags, because wasm's matMul with a flag set skips XNNPACK and runs ~10x slower (measured).
 */
const matmul = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: Saver) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, [sa, sb]: tf.Tensor[]) => [
      tf.matMul(dy, tf.transpose(sb as tf.Tensor2D)),
      tf.matMul(tf.transpose(sa as tf.Tensor2D), dy),
    ],
  };
}) as unknown as CustomGradFn) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.add(matmul(x, w as tf.Tensor2D), b);
}

/**
 * LayerNorm over the last axis with a closed-form gradient (about a third of the kernels that
 * autodiff would launch; on wasm each launch costs tens of microseconds at this size):
 *   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),  dxhat = dy * g
 */
const layerNorm = tf.customGrad(((x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: Saver) => {
  const centered = tf.sub(x, tf.mean(x, -1, true));
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), LN_EPS));
  const xhat = tf.mul(centered, rstd);
  save([xhat, rstd, g]);
  return {
    value: tf.add(tf.mul(xhat, g), b),
    gradFunc: (dy: tf.Tensor2D, [sxhat, srstd, sg]: tf.Tensor[]) => {
      const dxhat = tf.mul(dy, sg);
      const inner = tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(sxhat, tf.mean(tf.mul(dxhat, sxhat), -1, true)));
      return [tf.mul(inner, srstd), tf.sum(tf.mul(dy, sxhat), 0), tf.sum(dy, 0)];
    },
  };
}) as unknown as CustomGradFn) as (x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * GPT-2's tanh approximation of GELU with a closed-form gradient: autodiff through it would
 * run ~3x more elementwise kernels, and tf.pow is ~15x slower than x*x*x on wasm (measured).
 */
const gelu = tf.customGrad(((x: tf.Tensor2D, save: Saver) => {
  const x2 = tf.mul(x, x);
  const t = tf.tanh(tf.mul(tf.mul(x, tf.add(tf.mul(x2, GELU_A), 1)), GELU_C));
  save([x, x2, t]);
  return {
    value: tf.mul(tf.mul(x, 0.5), tf.add(t, 1)),
    // d/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2)
    gradFunc: (dy: tf.Tensor2D, [sx, sx2, st]: tf.Tensor[]) => {
      const dInner = tf.mul(tf.add(tf.mul(sx2, 3 * GELU_A), 1), GELU_C);
      const sech2 = tf.sub(1, tf.mul(st, st));
      const d = tf.mul(tf.add(tf.add(st, 1), tf.mul(tf.mul(sx, sech2), dInner)), 0.5);
      return tf.mul(dy, d);
    },
  };
}) as unknown as CustomGradFn) as (x: tf.Tensor2D) => tf.Tensor2D;

const maskCache = new Map<number, Float32Array>();

/** Additive causal mask [T, T]: 0 where key <= query, -1e9 above the diagonal. */
function causalMask(T: number): tf.Tensor2D {
  let m = maskCache.get(T);
  if (!m) {
    m = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = -1e9;
    maskCache.set(T, m);
  }
  return tf.tensor2d(m, [T, T]);
}

function attention(x: tf.Tensor2D, p: (n: string) => tf.Tensor, cfg: ModelConfig, B: number, T: number): tf.Tensor2D {
  const C = cfg.dModel;
  const H = cfg.nHead;
  const hd = C / H;
  const w = p("attn.c_attn.w");
  const b = p("attn.c_attn.b");
  // The fused [C, 3C] weight is sliced, not its [B*T, 3C] output: wasm slices and concats copy
  // row by row in JS, so cutting 64 weight rows is far cheaper than B*T activation rows.
  const heads = (i: number) => {
    const y = linear(x, tf.slice(w, [0, i * C], [C, C]), tf.slice(b, [i * C], [C]));
    return tf.reshape(tf.transpose(tf.reshape(y, [B, T, H, hd]), [0, 2, 1, 3]), [B * H, T, hd]) as tf.Tensor3D;
  };
  const [q, k, v] = [heads(0), heads(1), heads(2)];
  // Batched matmuls bypass XNNPACK on wasm with or without transposes (~1.8 GFLOP/s); they are
  // about a third of a default-config step, and per-head 2-D loops measured no faster.
  const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), causalMask(T));
  const y = tf.matMul(tf.softmax(scores), v);
  const merged = tf.reshape(tf.transpose(tf.reshape(y, [B, H, T, hd]), [0, 2, 1, 3]), [B * T, C]);
  return linear(merged as tf.Tensor2D, p("attn.c_proj.w"), p("attn.c_proj.b"));
}

function get(params: Params, name: string): tf.Variable {
  const v = params.get(name);
  if (!v) throw new Error(`missing parameter ${name}`);
  return v;
}

/** Final hidden states [B*T, C] after ln_f. */
function trunk(params: Params, cfg: ModelConfig, idx: tf.Tensor2D): tf.Tensor2D {
  const [B, T] = idx.shape;
  if (T > cfg.contextLength) throw new Error(`sequence length ${T} exceeds contextLength ${cfg.contextLength}`);
  const C = cfg.dModel;
  const tok = tf.gather(get(params, "wte"), tf.reshape(idx, [B * T]));
  const pos = tf.slice(get(params, "wpe"), [0, 0], [T, C]);
  let x = tf.reshape(tf.add(tf.reshape(tok, [B, T, C]), pos), [B * T, C]) as tf.Tensor2D;
  for (let l = 0; l < cfg.nLayer; l++) {
    const p = (n: string) => get(params, `h.${l}.${n}`);
    x = tf.add(x, attention(layerNorm(x, p("ln_1.g"), p("ln_1.b")), p, cfg, B, T));
    const h = gelu(linear(layerNorm(x, p("ln_2.g"), p("ln_2.b")), p("mlp.c_fc.w"), p("mlp.c_fc.b")));
    x = tf.add(x, linear(h, p("mlp.c_proj.w"), p("mlp.c_proj.b")));
  }
  return layerNorm(x, get(params, "ln_f.g"), get(params, "ln_f.b"));
}

/** Logits [B, T, V] for token ids idx [B, T] (int32). The LM head is the token embedding, transposed. */
export function forward(params: Params, cfg: ModelConfig, idx: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, T] = idx.shape;
    const logits = matmul(trunk(params, cfg, idx), tf.transpose(get(params, "wte")) as tf.Tensor2D);
    return tf.reshape(logits, [B, T, cfg.vocabSize]) as tf.Tensor3D;
  });
}

/**
 * Mean cross-entropy of logits z [N, V] against integer targets [N]: mean(logsumexp(z) - z[target]).
 * No [N, V] one-hot is built: the target logits are gathered from the flattened logits, and the
 * closed-form gradient (softmax - onehot) / N is the scaled softmax with its N target entries
 * rewritten by one scatter. On wasm this is faster than the one-hot form at every vocabulary
 * measured (256 to 16384; see scripts/bench-cross-entropy.ts).
 */
export function crossEntropy(z: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const [N, V] = z.shape;
  const ce = tf.customGrad(((logits: tf.Tensor2D, save: Saver) => {
    const flatIdx = tf.add(tf.range(0, N * V, V, "int32"), tf.cast(targets, "int32"));
    const shifted = tf.sub(logits, tf.max(logits, -1, true));
    const e = tf.exp(shifted);
    const s = tf.sum(e, -1);
    const picked = tf.gather(tf.reshape(shifted, [N * V]), flatIdx);
    save([e, s, flatIdx]); // saved, not closed over: tidy would dispose flatIdx before backward
    return {
      value: tf.mean(tf.sub(tf.log(s), picked)),
      gradFunc: (dy: tf.Scalar, [se, ss, idx]: tf.Tensor[]) => {
        const dyN = tf.div(dy, N);
        const g = tf.reshape(tf.mul(se, tf.expandDims(tf.div(dyN, ss), 1)), [N * V]);
        const atTargets = tf.sub(tf.gather(g, idx), dyN);
        return tf.reshape(tf.tensorScatterUpdate(g, tf.expandDims(idx, 1), atTargets), [N, V]);
      },
    };
  }) as unknown as CustomGradFn) as (z: tf.Tensor2D) => tf.Scalar;
  return ce(z);
}

/** Mean next-token cross-entropy of the model on idx [B, T] against targets [B, T]. */
export function lossFn(params: Params, cfg: ModelConfig, idx: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const [B, T] = idx.shape;
    const N = B * T;
    const logits = tf.reshape(forward(params, cfg, idx), [N, cfg.vocabSize]) as tf.Tensor2D;
    return crossEntropy(logits, tf.reshape(targets, [N]) as tf.Tensor1D);
  });
}
