/**
 * Training stabilisers, each off by default (and then absent from the graph, so a run that uses
 * none trains bit for bit as before):
 * - z-loss (PaLM): a penalty on log Z, the log-partition of each position's softmax.
 * - QK-norm: q and k normalised per head before the attention scores.
 * - logit soft-capping (Gemma 2): cap * tanh(logits / cap) on the LM head's output, and
 *   optionally on the attention scores (attention.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { type CustomGradFn, layerNorm, rmsNorm, type Saver } from "./layers";

/**
 * mean(logsumexp(z)^2) over the rows of logits z [N, V], with the closed-form gradient
 *   d/dz = 2 lse * softmax(z) / N
 * The log-sum-exp comes from the softmax as in crossEntropy: lse = max(z) - log(max(softmax)).
 */
export const meanLogZSquared = tf.customGrad(((z: tf.Tensor2D, save: Saver) => {
  const p = tf.softmax(z);
  const lse = tf.sub(tf.max(z, -1, true), tf.log(tf.max(p, -1, true)));
  save([p, lse]);
  return {
    value: tf.mean(tf.square(lse)),
    gradFunc: (dy: tf.Scalar, [sp, slse]: tf.Tensor[]) => tf.mul(sp, tf.mul(slse, tf.mul(dy, 2 / sp.shape[0]))),
  };
}) as unknown as CustomGradFn) as (z: tf.Tensor2D) => tf.Scalar;

/** Per-row log Z = logsumexp(z) of logits [N, V] (for tests and diagnostics). */
export function logPartition(z: tf.Tensor2D): tf.Tensor1D {
  return tf.logSumExp(z, -1) as tf.Tensor1D;
}

/**
 * y = cap * tanh(x / cap): the identity for |x| << cap, never beyond ±cap.
 *   dy/dx = 1 - tanh(x / cap)^2
 */
export function softCap<T extends tf.Tensor>(x: T, cap: number): T {
  const op = tf.customGrad(((xx: tf.Tensor, save: Saver) => {
    const t = tf.tanh(tf.div(xx, cap));
    save([t]);
    return {
      value: tf.mul(t, cap),
      gradFunc: (dy: tf.Tensor, [st]: tf.Tensor[]) => tf.mul(dy, tf.sub(1, tf.square(st))),
    };
  }) as unknown as CustomGradFn) as unknown as (x: T) => T;
  return op(x);
}

export type QkNormKind = "layernorm" | "rmsnorm";

/**
 * Normalises each head of x [N, H*hd] over its hd dimensions, scaled by the gain g [hd] that all
 * heads share: LayerNorm without a bias (gpt2) or RMSNorm (llama). Each head's output has RMS g
 * (per dimension), whatever the scale of x, so the attention scores stay bounded by |g|^2 * hd.
 */
export function qkNormalise(x: tf.Tensor2D, g: tf.Tensor, H: number, kind: QkNormKind): tf.Tensor2D {
  const [N, C] = x.shape;
  const hd = C / H;
  const rows = tf.reshape(x, [N * H, hd]) as tf.Tensor2D;
  const y = kind === "rmsnorm" ? rmsNorm(rows, g) : layerNorm(rows, g, tf.zeros([hd]));
  return tf.reshape(y, [N, C]) as tf.Tensor2D;
}

const QK_NORM_PARAM = /^h\.\d+\.attn\.[qk]_norm\.g$/;

/**
 * Refuses saved weights whose QK-norm gains do not match the model's, before a "missing parameter"
 * error could hide why; without this check, gains in a checkpoint would be silently dropped.
 */
export function checkQkNormWeights(saved: Iterable<string>, model: Iterable<string>, source = "the checkpoint"): void {
  const has = (names: Iterable<string>) => [...names].some((n) => QK_NORM_PARAM.test(n));
  const savedHas = has(saved);
  const modelHas = has(model);
  if (savedHas && !modelHas) throw new Error(`${source} was trained with qkNorm on (it holds q_norm/k_norm gains) and this run has qkNorm off; turn qkNorm on, or start from a checkpoint without it`);
  if (!savedHas && modelHas) throw new Error(`${source} was trained without qkNorm (it has no q_norm/k_norm gains) and this run has qkNorm on; turn qkNorm off, or start from a checkpoint with it`);
}

/** The step's z_loss point (the z term added to the cross-entropy `loss`), when z-loss is on. */
export const zLossPoints = (step: number, z: number | undefined, wallTime: number) => (z === undefined ? [] : [{ step, key: "z_loss", value: z, wallTime }]);
