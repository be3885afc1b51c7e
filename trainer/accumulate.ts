import * as tf from "@tensorflow/tfjs";
import type { Batch } from "./mixture";

/** One forward/backward pass: the mean loss of `rows` sequences and its gradients by engine variable name. */
export type Pass = (batch: Batch, rows: number) => { value: tf.Scalar; grads: tf.NamedTensorMap };

/** Rows [start, start + rows) of a [*, T] batch, as views (no copy). */
export function sliceBatch(batch: Batch, start: number, rows: number, T: number): Batch {
  return { x: batch.x.subarray(start * T, (start + rows) * T), y: batch.y.subarray(start * T, (start + rows) * T) };
}

/**
 * The mean loss over `rows` sequences and its gradient, from rows / micro passes of `micro`
 * sequences each: every pass's loss and gradients are scaled by 1 / passes and summed. Each pass runs
 * in its own tidy and the running sums replace the previous ones, so memory holds one pass's
 * activations and one set of gradients, whatever the number of passes.
 */
export function accumulateGradients(
  pass: Pass,
  batch: Batch,
  rows: number,
  micro: number,
  T: number,
): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
  if (!(micro > 0 && rows % micro === 0)) throw new Error(`a micro-batch of ${micro} does not divide the batch of ${rows}`);
  const passes = rows / micro;
  if (passes === 1) {
    const { value, grads } = tf.tidy(() => pass(sliceBatch(batch, 0, rows, T), rows));
    return { loss: value, grads: new Map(Object.entries(grads)) };
  }
  type Sum = { loss: tf.Scalar; grads: tf.NamedTensorMap };
  let sum: Sum | null = null;
  for (let i = 0; i < passes; i++) {
    const prev = sum as Sum | null;
    sum = tf.tidy((): Sum => {
      const { value, grads } = pass(sliceBatch(batch, i * micro, micro, T), micro);
      const scaled = (t: tf.Tensor) => tf.mul(t, 1 / passes);
      const add = (t: tf.Tensor, acc: tf.Tensor | undefined) => (acc ? tf.add(acc, scaled(t)) : scaled(t));
      const out: tf.NamedTensorMap = {};
      for (const [name, g] of Object.entries(grads)) out[name] = add(g, prev?.grads[name]);
      for (const [name, acc] of Object.entries(prev?.grads ?? {})) out[name] ??= tf.clone(acc); // no gradient in this pass
      return { loss: add(value, prev?.loss) as tf.Scalar, grads: out };
    });
    if (prev) tf.dispose(prev);
  }
  return { loss: sum!.loss, grads: new Map(Object.entries(sum!.grads)) };
}
