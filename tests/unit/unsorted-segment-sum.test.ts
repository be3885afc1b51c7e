import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/rng";
import { selectBackend } from "../../trainer/backend/backend";

await selectBackend("wasm"); // registers the kernel
const rng = new Rng(3);

interface Case { shape: number[]; numSegments: number; ids: number[]; dtype: "float32" | "int32" }

function randomCase(shape: number[], numSegments: number, idRange: number, dtype: Case["dtype"] = "float32"): Case {
  return { shape, numSegments, dtype, ids: Array.from({ length: shape[0] }, () => rng.int(idRange)) };
}

const cases: Case[] = [
  randomCase([7], 3, 3), // 1-D
  randomCase([12, 5], 4, 4), // 2-D
  randomCase([9, 2, 3], 5, 5), // 3-D
  randomCase([40, 8], 256, 10), // numSegments far above the largest id: trailing segments empty
  randomCase([30, 4], 6, 2), // most segments receive nothing
  randomCase([1, 3], 1, 1), // single row
  randomCase([0, 4], 3, 1), // no rows at all
  randomCase([10, 3], 4, 4, "int32"),
  { shape: [5, 2], numSegments: 2, ids: [0, -1, 1, 2, 1], dtype: "float32" }, // out-of-range ids dropped
];

function run(c: Case, values: number[]): { shape: number[]; data: number[] } {
  return tf.tidy(() => {
    const x = tf.tensor(values, c.shape, c.dtype);
    const out = tf.unsortedSegmentSum(x, tf.tensor1d(c.ids, "int32"), c.numSegments);
    return { shape: out.shape, data: Array.from(out.dataSync()) };
  });
}

test("wasm UnsortedSegmentSum matches the cpu backend", async () => {
  const inputs = cases.map((c) =>
    Array.from({ length: c.shape.reduce((a, b) => a * b, 1) }, () => (c.dtype === "int32" ? rng.int(20) - 10 : rng.normal())),
  );
  await tf.setBackend("cpu");
  const expected = cases.map((c, i) => run(c, inputs[i]));
  await tf.setBackend("wasm");
  cases.forEach((c, i) => {
    const got = run(c, inputs[i]);
    assert.deepEqual(got.shape, expected[i].shape, `case ${i} shape`);
    assert.deepEqual(got.shape, [c.numSegments, ...c.shape.slice(1)]);
    got.data.forEach((v, j) => assert.ok(Math.abs(v - expected[i].data[j]) < 1e-5, `case ${i} [${j}]: ${v} vs ${expected[i].data[j]}`));
  });
  // The trailing segments of the 256-segment case must be exact zeros, not uninitialised heap.
  const big = run(cases[3], inputs[3]);
  assert.ok(big.data.slice(10 * 8).every((v) => v === 0));
});

test("gather's gradient works on wasm and matches cpu", async () => {
  const table = Array.from({ length: 6 * 3 }, () => rng.normal());
  const idx = [0, 5, 5, 2, 0, 0, 3];
  const w = Array.from({ length: idx.length * 3 }, () => rng.normal());
  const grad = () =>
    tf.tidy(() => {
      const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(idx, "int32")), tf.tensor2d(w, [idx.length, 3])));
      return Array.from(tf.grad(f)(tf.tensor2d(table, [6, 3])).dataSync());
    });
  await tf.setBackend("cpu");
  const want = grad();
  await tf.setBackend("wasm");
  const got = grad();
  got.forEach((v, j) => assert.ok(Math.abs(v - want[j]) < 1e-5));
  assert.ok(got.slice(4 * 3, 5 * 3).every((v) => v === 0), "row 4 is never gathered");
});
