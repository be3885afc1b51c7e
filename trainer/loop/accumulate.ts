import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../lib/rng";
import type { Batch } from "../data/mixture";
import type { ModelConfig, Params } from "../model/model";
import { objectiveLoss, objectiveTerms } from "../model/objectives";

/**
 * One forward/backward pass: the mean loss of `rows` sequences and its gradients by engine variable
 * name; with z-loss on, `z` is the z term (zLoss * mean(log Z^2)), which the gradients include and
 * `value` (the cross-entropy) does not.
 */
export type Pass = (batch: Batch, rows: number) => { value: tf.Scalar; grads: tf.NamedTensorMap; z?: tf.Scalar };

/** The training pass of the run's objective; `rng` draws the mlm masks (the trainer's, so resume stays exact). */
export function objectivePass(params: Params, model: ModelConfig, T: number, rng: Rng, maskId: number): Pass {
  const varList = [...params.values()];
  const zLoss = model.zLoss ?? 0;
  if (zLoss === 0) return (part, n) => tf.variableGrads(() => objectiveLoss(params, model, { ...part, B: n, T }, rng, maskId), varList);
  return (part, n) => {
    // The gradient is of ce + z; the two parts are kept past the tape's tidy to be returned apart.
    let parts: tf.Scalar[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const { ce, logZ2 } = objectiveTerms(params, model, { ...part, B: n, T }, rng, maskId);
      parts = [tf.keep(ce), tf.keep(tf.mul(logZ2, zLoss))];
      return tf.add(parts[0], parts[1]);
    }, varList);
    const [ce, z] = parts.map((t) => tf.clone(t)); // owned by the caller's scope, unlike the kept ones
    tf.dispose([value, ...parts]);
    return { value: ce, grads, z };
  };
}

/** Rows [start, start + rows) of a [*, T] batch, as views (no copy). */
export function sliceBatch(batch: Batch, start: number, rows: number, T: number): Batch {
  return { x: batch.x.subarray(start * T, (start + rows) * T), y: batch.y.subarray(start * T, (start + rows) * T) };
}

/**
 * The mean loss over `rows` sequences and its gradient, from passes of `micro` sequences each (the
 * last one may be shorter): every pass's loss and gradients are weighted by its share of the rows
 * and summed, which is exact because each pass's loss is a mean over rows that all carry the same
 * number of loss positions. Each pass runs in its own tidy and the running sums replace the previous
 * ones, so memory holds one pass's activations and one set of gradients, whatever the number of passes.
 */
export function accumulateGradients(
  pass: Pass,
  batch: Batch,
  rows: number,
  micro: number,
  T: number,
): { loss: tf.Scalar; grads: Map<string, tf.Tensor>; z?: tf.Scalar } {
  if (!(Number.isInteger(micro) && micro > 0 && Number.isInteger(rows) && rows > 0))
    throw new Error(`cannot split a batch of ${rows} into micro-batches of ${micro}`);
  if (micro >= rows) {
    const { value, grads, z } = tf.tidy(() => pass(sliceBatch(batch, 0, rows, T), rows));
    return { loss: value, grads: new Map(Object.entries(grads)), z };
  }
  type Sum = { loss: tf.Scalar; grads: tf.NamedTensorMap; z?: tf.Scalar };
  let sum: Sum | null = null;
  for (let start = 0; start < rows; start += micro) {
    const n = Math.min(micro, rows - start);
    const prev = sum as Sum | null;
    sum = tf.tidy((): Sum => {
      const { value, grads, z } = pass(sliceBatch(batch, start, n, T), n);
      const scaled = (t: tf.Tensor) => tf.mul(t, n / rows);
      const add = (t: tf.Tensor, acc: tf.Tensor | undefined) => (acc ? tf.add(acc, scaled(t)) : scaled(t));
      const out: tf.NamedTensorMap = {};
      for (const [name, g] of Object.entries(grads)) out[name] = add(g, prev?.grads[name]);
      for (const [name, acc] of Object.entries(prev?.grads ?? {})) out[name] ??= tf.clone(acc); // no gradient in this pass
      return { loss: add(value, prev?.loss) as tf.Scalar, grads: out, ...(z && { z: add(z, prev?.z) as tf.Scalar }) };
    });
    if (prev) tf.dispose(prev as tf.TensorContainer);
  }
  return { loss: sum!.loss, grads: new Map(Object.entries(sum!.grads)), z: sum!.z };
}
