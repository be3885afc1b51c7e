import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/rng";
import { selectBackend } from "../../trainer/backend/backend";

await selectBackend("wasm"); // registers the replacement kernel
const rng = new Rng(9);

interface Case { shape: number[]; axis: number | number[]; keepDims: boolean; dtype: "float32" | "int32" }
const cases: Case[] = [];
for (const keepDims of [false, true]) {
  for (const axis of [0, 1, 2, -1, -3, [0, 1], [1, 0], [0, 2], [1, 2], [0, 1, 2]]) cases.push({ shape: [3, 4, 5], axis, keepDims, dtype: "float32" });
  cases.push(
    { shape: [1024, 24], axis: 0, keepDims, dtype: "float32" }, // a bias gradient
    { shape: [1, 7], axis: 0, keepDims, dtype: "float32" }, // one row
    { shape: [7, 1], axis: 0, keepDims, dtype: "float32" }, // one column
    { shape: [1, 1], axis: 0, keepDims, dtype: "float32" },
    { shape: [9], axis: 0, keepDims, dtype: "float32" }, // everything: stock
    { shape: [5, 3], axis: 0, keepDims, dtype: "int32" }, // stock
    { shape: [0, 3], axis: 0, keepDims, dtype: "float32" }, // empty: stock
  );
}

const values = (c: Case) => Array.from({ length: c.shape.reduce((p, d) => p * d, 1) }, () => (c.dtype === "int32" ? rng.int(20) - 10 : rng.normal()));

test("wasm Sum matches the cpu backend over every axis set, keepDims, dtype and edge size", async () => {
  const inputs = cases.map(values);
  const run = (c: Case, v: number[]) => tf.tidy(() => {
    const y = tf.sum(tf.tensor(v, c.shape, c.dtype), c.axis, c.keepDims);
    return { shape: y.shape, dtype: y.dtype, data: Array.from(y.dataSync()) };
  });
  await tf.setBackend("cpu");
  const want = cases.map((c, i) => run(c, inputs[i]));
  await tf.setBackend("wasm");
  cases.forEach((c, i) => {
    const got = run(c, inputs[i]);
    const what = `[${c.shape}] axis ${c.axis} keepDims ${c.keepDims} ${c.dtype}`;
    assert.deepEqual(got.shape, want[i].shape, what);
    assert.equal(got.dtype, want[i].dtype, what);
    got.data.forEach((v, j) => assert.ok(Math.abs(v - want[i].data[j]) <= 1e-4 * (1 + Math.abs(want[i].data[j])), `${what} [${j}]: ${v} vs ${want[i].data[j]}`));
  });
});

test("a broadcast bias's gradient (a row sum) matches cpu", async () => {
  const x = values({ shape: [37, 6], axis: 0, keepDims: false, dtype: "float32" });
  const w = values({ shape: [37, 6], axis: 0, keepDims: false, dtype: "float32" });
  const b = values({ shape: [6], axis: 0, keepDims: false, dtype: "float32" });
  const grad = () => tf.tidy(() => {
    const f = (bias: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.tensor(x, [37, 6]), bias), tf.tensor(w, [37, 6])));
    return Array.from(tf.grad(f)(tf.tensor(b, [6])).dataSync());
  });
  await tf.setBackend("cpu");
  const want = grad();
  await tf.setBackend("wasm");
  grad().forEach((v, j) => assert.ok(Math.abs(v - want[j]) < 1e-4, `[${j}]: ${v} vs ${want[j]}`));
});
