import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/rng";
import { selectBackend } from "../../trainer/backend/backend";

await selectBackend("wasm"); // registers the replacement kernel
const rng = new Rng(21);

interface Case { shape: number[]; idxShape: number[]; axis: number; batchDims: number; dtype: "float32" | "int32" | "bool" }
const cases: Case[] = [
  { shape: [512, 128], idxShape: [1024], axis: 0, batchDims: 0, dtype: "float32" }, // the embedding lookup
  { shape: [7], idxShape: [5], axis: 0, batchDims: 0, dtype: "float32" }, // single values (cross-entropy's picks)
  { shape: [6, 5], idxShape: [4], axis: 1, batchDims: 0, dtype: "float32" }, // columns
  { shape: [3, 4, 5], idxShape: [2, 3], axis: 1, batchDims: 0, dtype: "float32" }, // index matrix, middle axis
  { shape: [3, 4, 5], idxShape: [3, 2], axis: 1, batchDims: 1, dtype: "float32" }, // batched
  { shape: [2, 3, 4, 5], idxShape: [2, 3, 2], axis: 2, batchDims: 2, dtype: "float32" },
  { shape: [1, 1], idxShape: [3], axis: 0, batchDims: 0, dtype: "float32" }, // one row, repeated
  { shape: [4, 3], idxShape: [0], axis: 0, batchDims: 0, dtype: "float32" }, // no indices
  { shape: [5, 2], idxShape: [6], axis: 0, batchDims: 0, dtype: "int32" },
  { shape: [5, 2], idxShape: [3], axis: 0, batchDims: 0, dtype: "bool" },
];

function inputs(c: Case) {
  const dim = c.shape[c.axis];
  const x = Array.from({ length: c.shape.reduce((p, d) => p * d, 1) }, () => (c.dtype === "float32" ? rng.normal() : rng.int(c.dtype === "bool" ? 2 : 50)));
  const idx = Array.from({ length: c.idxShape.reduce((p, d) => p * d, 1) }, () => rng.int(dim));
  return { x, idx };
}

test("wasm GatherV2 matches the cpu backend over axes, batch dims, dtypes and edge sizes", async () => {
  const data = cases.map(inputs);
  const run = (c: Case, d: { x: number[]; idx: number[] }) => tf.tidy(() => {
    const y = tf.gather(tf.tensor(d.x, c.shape, c.dtype), tf.tensor(d.idx, c.idxShape, "int32"), c.axis, c.batchDims);
    return { shape: y.shape, dtype: y.dtype, data: Array.from(y.dataSync()) };
  });
  await tf.setBackend("cpu");
  const want = cases.map((c, i) => run(c, data[i]));
  await tf.setBackend("wasm");
  cases.forEach((c, i) => assert.deepEqual(run(c, data[i]), want[i], `[${c.shape}] by [${c.idxShape}] axis ${c.axis} batchDims ${c.batchDims} ${c.dtype}`));
});

test("an out-of-range index is an error, as on the stock kernel", async () => {
  await tf.setBackend("wasm");
  assert.throws(() => tf.gather(tf.zeros([4, 2]), tf.tensor1d([1, 4], "int32")), /index value 4 is not in \[0, 3\]/);
  assert.throws(() => tf.gather(tf.zeros([4, 2]), tf.tensor1d([-1], "int32")), /index value -1/);
});

test("the embedding gradient through gather matches cpu", async () => {
  const table = Array.from({ length: 9 * 4 }, () => rng.normal());
  const idx = [3, 3, 0, 8, 1, 3];
  const w = Array.from({ length: idx.length * 4 }, () => rng.normal());
  const grad = () => tf.tidy(() => {
    const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(idx, "int32")), tf.tensor2d(w, [idx.length, 4])));
    return tf.grad(f)(tf.tensor2d(table, [9, 4]));
  });
  await tf.setBackend("cpu");
  const want = grad();
  const wantData = Array.from(want.dataSync());
  want.dispose();
  await tf.setBackend("wasm");
  const got = grad();
  Array.from(got.dataSync()).forEach((v, j) => assert.ok(Math.abs(v - wantData[j]) < 1e-6, `[${j}]`));
  got.dispose();
});
