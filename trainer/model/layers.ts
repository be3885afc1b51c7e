/**
 * Building blocks with closed-form gradients. On wasm each kernel launch costs tens of
 * microseconds at our sizes, so fewer backward kernels than autodiff would launch is the point.
 */
import * as tf from "@tensorflow/tfjs";

export type Saver = (tensors: tf.Tensor[]) => void;
export type CustomGradFn = Parameters<typeof tf.customGrad>[0];

const LN_EPS = 1e-5;
/** Llama 2's rms_norm_eps. */
const RMS_EPS = 1e-5;

/**
 * a @ b for 2-D tensors, with the closed-form gradient as two transposed products. The transpose
 * flags matter on wasm: the trainer's BatchMatMul (trainer/backend/kernels/batch-mat-mul.ts) picks the
 * cheaper of aᵀ @ dy and (dyᵀ @ a)ᵀ, which it cannot do once the transpose is a separate op.
 */
export const matmul = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: Saver) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, [sa, sb]: tf.Tensor[]) => [tf.matMul(dy, sb as tf.Tensor2D, false, true), tf.matMul(sa as tf.Tensor2D, dy, true, false)],
  };
}) as unknown as CustomGradFn) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

export function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.add(matmul(x, w as tf.Tensor2D), b);
}

/**
 * LayerNorm over the last axis:
 *   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),  dxhat = dy * g
 */
export const layerNorm = tf.customGrad(((x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: Saver) => {
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

/**
 * RMSNorm (no centring, no bias): y = g * x * rstd, rstd = 1/sqrt(mean(x^2) + eps).
 *   dx = rstd * (dxhat - xhat * mean(dxhat * xhat)),  dxhat = dy * g
 */
export const rmsNorm = tf.customGrad(((x: tf.Tensor2D, g: tf.Tensor1D, save: Saver) => {
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), RMS_EPS));
  const xhat = tf.mul(x, rstd);
  save([xhat, rstd, g]);
  return {
    value: tf.mul(xhat, g),
    gradFunc: (dy: tf.Tensor2D, [sxhat, srstd, sg]: tf.Tensor[]) => {
      const dxhat = tf.mul(dy, sg);
      const inner = tf.sub(dxhat, tf.mul(sxhat, tf.mean(tf.mul(dxhat, sxhat), -1, true)));
      return [tf.mul(inner, srstd), tf.sum(tf.mul(dy, sxhat), 0)];
    },
  };
}) as unknown as CustomGradFn) as (x: tf.Tensor2D, g: tf.Tensor) => tf.Tensor2D;

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * GPT-2's tanh GELU, 0.5 x (1 + tanh(u)) with u = c (x + a x^3), written as x * sigmoid(2u) (the
 * same function: 0.5 (1 + tanh(u)) = sigmoid(2u)). wasm's Sigmoid is XNNPACK's and ~15x faster than
 * its scalar Tanh at [1024, 512] (bench/kernels.ts); tf.pow is ~15x slower than x*x*x (measured).
 */
export const gelu = tf.customGrad(((x: tf.Tensor2D, save: Saver) => {
  const x2 = tf.mul(x, x);
  const s = tf.sigmoid(tf.mul(tf.mul(x, tf.add(tf.mul(x2, GELU_A), 1)), 2 * GELU_C));
  save([x, x2, s]);
  return {
    value: tf.mul(x, s),
    // d/dx = s + x s (1 - s) 2c (1 + 3 a x^2)
    gradFunc: (dy: tf.Tensor2D, [sx, sx2, ss]: tf.Tensor[]) => {
      const dInner = tf.mul(tf.add(tf.mul(sx2, 3 * GELU_A), 1), 2 * GELU_C);
      const d = tf.add(ss, tf.mul(tf.mul(sx, tf.mul(ss, tf.sub(1, ss))), dInner));
      return tf.mul(dy, d);
    },
  };
}) as unknown as CustomGradFn) as (x: tf.Tensor2D) => tf.Tensor2D;

/**
 * SwiGLU gate: silu(a) * b with silu(a) = a * sigmoid(a).
 *   da = dy * b * s * (1 + a (1 - s)),  db = dy * a * s,  s = sigmoid(a)
 */
export const swiglu = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: Saver) => {
  const s = tf.sigmoid(a);
  save([a, b, s]);
  return {
    value: tf.mul(tf.mul(a, s), b),
    gradFunc: (dy: tf.Tensor2D, [sa, sb, ss]: tf.Tensor[]) => {
      const dsilu = tf.mul(ss, tf.add(tf.mul(sa, tf.sub(1, ss)), 1));
      return [tf.mul(tf.mul(dy, sb), dsilu), tf.mul(dy, tf.mul(sa, ss))];
    },
  };
}) as unknown as CustomGradFn) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;
