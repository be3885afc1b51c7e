import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../trainer/backend/backend";

await selectBackend("wasm"); // registers the replacement kernel
const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

test("wasm Identity shares memory: a clone outlives its source, and neither leaks", () => {
  const before = dataIds();
  const x = tf.tensor([1, 2, 3, 4], [2, 2]);
  const y = tf.clone(x);
  assert.equal(dataIds(), before + 1, "the clone shares x's data");
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4]);
  y.dispose();
  assert.equal(dataIds(), before);
});

test("assigning to a variable cloned from a tensor leaves the tensor as it was", () => {
  const x = tf.tensor([1, 2, 3]);
  const v = tf.variable(tf.clone(x));
  v.assign(tf.tensor([7, 8, 9]));
  assert.deepEqual(Array.from(x.dataSync()), [1, 2, 3]);
  assert.deepEqual(Array.from(v.dataSync()), [7, 8, 9]);
  v.dispose();
  x.dispose();
});

test("customGrad's saved tensors (clones) stay valid through backward", async () => {
  const f = tf.customGrad(((x: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
    const y = tf.square(x);
    save([x]);
    return { value: y, gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => tf.mul(dy, tf.mul(sx, 2)) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
  const g = tf.tidy(() => Array.from(tf.grad((x: tf.Tensor) => tf.sum(f(x)))(tf.tensor([1, -2, 3])).dataSync()));
  assert.deepEqual(g, [2, -4, 6]);
});
