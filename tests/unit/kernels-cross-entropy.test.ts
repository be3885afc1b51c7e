import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/rng";
import { selectBackend } from "../../trainer/backend/backend";
import { crossEntropy } from "../../trainer/model/cross-entropy";

await selectBackend("wasm");
const rng = new Rng(31);

/** Loss and gradient of the trainer's cross-entropy, and of log-softmax autodiff, on the current backend. */
function both(z: number[], N: number, V: number, targets: number[]) {
  return tf.tidy(() => {
    const logits = tf.tensor2d(z, [N, V]);
    const y = tf.tensor1d(targets, "int32");
    const ref = (l: tf.Tensor) => tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(y, V), tf.logSoftmax(l)), -1))) as tf.Scalar;
    const ours = tf.valueAndGrad((l: tf.Tensor) => crossEntropy(l as tf.Tensor2D, y))(logits);
    const theirs = tf.valueAndGrad(ref)(logits);
    return { loss: ours.value.dataSync()[0], grad: ours.grad.dataSync(), refLoss: theirs.value.dataSync()[0], refGrad: theirs.grad.dataSync() };
  });
}

test("cross-entropy from the fused softmax equals log-softmax autodiff, on wasm and cpu", async () => {
  for (const [N, V] of [[1, 2], [1, 7], [5, 3], [13, 257], [64, 512]]) {
    const z = Array.from({ length: N * V }, () => rng.normal() * 4);
    const targets = Array.from({ length: N }, () => rng.int(V));
    for (const backend of ["wasm", "cpu"]) {
      await tf.setBackend(backend);
      const r = both(z, N, V, targets);
      assert.ok(Math.abs(r.loss - r.refLoss) < 1e-5 * (1 + Math.abs(r.refLoss)), `${backend} [${N},${V}] loss ${r.loss} vs ${r.refLoss}`);
      r.grad.forEach((g, i) => assert.ok(Math.abs(g - r.refGrad[i]) < 1e-6, `${backend} [${N},${V}] grad[${i}] ${g} vs ${r.refGrad[i]}`));
    }
  }
  await tf.setBackend("wasm");
});

test("a confidently wrong prediction gives a large finite loss, not infinity", async () => {
  await tf.setBackend("wasm");
  // The target's probability, exp(-1000), is 0 in float32; the loss must still be ~1000.
  const V = 50;
  const z = Array.from({ length: 2 * V }, (_, i) => (i === 3 || i === V + 7 ? 1000 : 0));
  const r = both(z, 2, V, [0, 7]);
  assert.ok(Math.abs(r.loss - 500) < 1e-3, `loss ${r.loss}`); // row 0: 1000; row 1: log(1 + 49 e^-1000) ~ 0
  assert.ok(r.grad.every(Number.isFinite));
  assert.ok(Math.abs(r.grad[0] - -0.5) < 1e-6 && Math.abs(r.grad[3] - 0.5) < 1e-6);
});
