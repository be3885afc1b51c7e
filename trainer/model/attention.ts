import * as tf from "@tensorflow/tfjs";
import type { OBJECTIVES } from "../../lib/run-config";
import type { CustomGradFn } from "./layers";
import { softCap } from "./stabilisers";

export type Objective = (typeof OBJECTIVES)[number];

/** Rotary base from RoFormer and Llama. */
const ROPE_BASE = 10000;
const MASKED = -1e9;

/**
 * Prefix length P = round(fraction * T), kept below T so that at least one position carries
 * loss (T = 8 at fraction 0.95 would otherwise be all prefix).
 */
export function prefixLength(T: number, fraction: number): number {
  return Math.min(T - 1, Math.max(0, Math.round(fraction * T)));
}

const maskCache = new Map<string, Float32Array | null>();

/**
 * Additive attention mask [T, T] (row = query i, column = key j): 0 where i may see j, -1e9
 * elsewhere; null when every position sees every other (mlm). exp(-1e9 - max) is exactly 0 in
 * float32, so a masked key contributes nothing and cannot change the output by a single bit.
 *   clm:    j <= i
 *   prefix: j <= i or j < P (bidirectional inside the prefix, causal after it)
 */
export function attentionMask(objective: Objective, T: number, prefixFraction: number): Float32Array | null {
  if (objective === "mlm") return null;
  const P = objective === "prefix" ? prefixLength(T, prefixFraction) : 0;
  const key = `${T}:${P}`;
  let m = maskCache.get(key);
  if (m === undefined) {
    m = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) if (j >= P) m[i * T + j] = MASKED;
    maskCache.set(key, m);
  }
  return m;
}

interface RopeTables {
  /** [T, C]: cos and sin of each dimension's angle, tiled over the heads. */
  cos: Float32Array;
  sin: Float32Array;
  /** [hd, hd] signed permutation with x @ rot = rotate_half(x), and its transpose. */
  rot: Float32Array;
  rotT: Float32Array;
}

const ropeCache = new Map<string, RopeTables>();

/**
 * Tables for rotate-half RoPE (the GPT-NeoX / Hugging Face Llama layout: dimension i of a head
 * pairs with i + hd/2 at frequency base^(-2i/hd)).
 */
function ropeTables(T: number, H: number, hd: number): RopeTables {
  const key = `${T}:${H}:${hd}`;
  let t = ropeCache.get(key);
  if (!t) {
    const C = H * hd;
    const half = hd / 2;
    const cos = new Float32Array(T * C);
    const sin = new Float32Array(T * C);
    for (let pos = 0; pos < T; pos++)
      for (let h = 0; h < H; h++)
        for (let i = 0; i < half; i++) {
          const angle = pos * Math.pow(ROPE_BASE, (-2 * i) / hd);
          const o = pos * C + h * hd + i;
          cos[o] = cos[o + half] = Math.cos(angle);
          sin[o] = sin[o + half] = Math.sin(angle);
        }
    // rotate_half([x1, x2]) = [-x2, x1]: output i < half takes -x[i + half], output i + half takes x[i].
    const rot = new Float32Array(hd * hd);
    const rotT = new Float32Array(hd * hd);
    for (let i = 0; i < half; i++) {
      rot[(i + half) * hd + i] = rotT[i * hd + i + half] = -1;
      rot[i * hd + i + half] = rotT[(i + half) * hd + i] = 1;
    }
    t = { cos, sin, rot, rotT };
    ropeCache.set(key, t);
  }
  return t;
}

/**
 * Rotary position embedding of q or k laid out [B*T, H*hd]:
 *   y = x * cos + rotate_half(x) * sin,   dx = dy * cos + rotate_half^T(dy * sin).
 * rotate_half is a [hd, hd] matmul over the [B*T*H, hd] view: slices and concats copy row by row
 * on wasm, and its Reverse kernel measured ~4x slower than this matmul at the default size.
 */
export function rope(x: tf.Tensor2D, B: number, T: number, H: number): tf.Tensor2D {
  const C = x.shape[1];
  const hd = C / H;
  const t = ropeTables(T, H, hd);
  const table = (a: Float32Array) => tf.tensor2d(a, [T, C]);
  const rotate = (y: tf.Tensor, r: Float32Array) => tf.reshape(tf.matMul(tf.reshape(y, [B * T * H, hd]) as tf.Tensor2D, tf.tensor2d(r, [hd, hd])), [B, T, C]);
  // Linear in x, so backward needs no saved tensors; the tables are rebuilt from the cached arrays.
  const op = tf.customGrad(((xx: tf.Tensor2D) => ({
    value: tf.reshape(tf.add(tf.mul(tf.reshape(xx, [B, T, C]), table(t.cos)), tf.mul(rotate(xx, t.rot), table(t.sin))), [B * T, C]),
    gradFunc: (dy: tf.Tensor2D) => {
      const d = tf.reshape(dy, [B, T, C]);
      return tf.reshape(tf.add(tf.mul(d, table(t.cos)), rotate(tf.mul(d, table(t.sin)), t.rotT)), [B * T, C]);
    },
  })) as unknown as CustomGradFn) as (x: tf.Tensor2D) => tf.Tensor2D;
  return op(x);
}

/**
 * Multi-head scaled dot-product attention of q, k, v [B*T, C] under `mask`; returns [B*T, C] before
 * the output projection. `scoreCap` soft-caps the scaled scores before the mask (Gemma 2); `probe`
 * sees the attention probabilities [B*H, T, T] (per-layer statistics).
 */
export function attend(
  q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, B: number, T: number, H: number, mask: Float32Array | null,
  scoreCap?: number | null, probe?: (probs: tf.Tensor3D) => void,
): tf.Tensor2D {
  const C = q.shape[1];
  const hd = C / H;
  const heads = (y: tf.Tensor2D) => tf.reshape(tf.transpose(tf.reshape(y, [B, T, H, hd]), [0, 2, 1, 3]), [B * H, T, hd]) as tf.Tensor3D;
  // On wasm the trainer's BatchMatMul runs these as one XNNPACK product per head (trainer/backend/kernels).
  let scores = tf.mul(tf.matMul(heads(q), heads(k), false, true), 1 / Math.sqrt(hd));
  if (scoreCap) scores = softCap(scores, scoreCap);
  if (mask) scores = tf.add(scores, tf.tensor2d(mask, [T, T]));
  const probs = tf.softmax(scores) as tf.Tensor3D;
  probe?.(probs);
  const y = tf.matMul(probs, heads(v));
  return tf.reshape(tf.transpose(tf.reshape(y, [B, H, T, hd]), [0, 2, 1, 3]), [B * T, C]) as tf.Tensor2D;
}
