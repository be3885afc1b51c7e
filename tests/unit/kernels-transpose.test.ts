import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/rng";
import { selectBackend } from "../../trainer/backend/backend";
import { asSwap } from "../../trainer/backend/kernels/transpose";

await selectBackend("wasm"); // registers the replacement kernel
const rng = new Rng(5);

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

interface Case { shape: number[]; perm: number[]; dtype: "float32" | "int32" | "bool" }
const cases: Case[] = [
  ...[[1, 1], [1, 5], [5, 1], [7, 3], [64, 33], [1024, 24]].map((shape) => ({ shape, perm: [1, 0], dtype: "float32" as const })),
  ...permutations(3).map((perm) => ({ shape: [2, 3, 5], perm, dtype: "float32" as const })),
  ...permutations(4).map((perm) => ({ shape: [3, 2, 4, 5], perm, dtype: "float32" as const })),
  ...permutations(4).map((perm) => ({ shape: [2, 3, 1, 4], perm, dtype: "float32" as const })), // a size-1 dim
  { shape: [2, 17, 3, 8], perm: [0, 2, 1, 3], dtype: "float32" }, // attention's head split
  { shape: [2, 1024, 3], perm: [0, 2, 1], dtype: "float32" }, // rows of 4 KiB: the JS path
  { shape: [3, 2048], perm: [1, 0], dtype: "float32" },
  { shape: [1024, 5], perm: [1, 0], dtype: "int32" },
  { shape: [4, 6], perm: [1, 0], dtype: "int32" },
  { shape: [2, 3, 4], perm: [0, 2, 1], dtype: "int32" },
  { shape: [3, 4], perm: [1, 0], dtype: "bool" }, // stock kernel
];

const values = (c: Case) =>
  Array.from({ length: c.shape.reduce((p, d) => p * d, 1) }, () => (c.dtype === "float32" ? rng.normal() : rng.int(c.dtype === "bool" ? 2 : 100)));

test("the swap patterns cover the model's permutations and nothing else", () => {
  assert.deepEqual(asSwap([1024, 128], [1, 0]), [1, 1024, 128, 1]);
  assert.deepEqual(asSwap([8, 128, 4, 32], [0, 2, 1, 3]), [8, 128, 4, 32]);
  assert.deepEqual(asSwap([32, 128, 64], [0, 2, 1]), [32, 128, 64, 1]);
  assert.deepEqual(asSwap([2, 3, 4, 5], [0, 1, 3, 2]), [6, 4, 5, 1]); // leading dims merge
  assert.deepEqual(asSwap([2, 1, 3], [1, 0, 2]), [1, 1, 1, 6]); // only a size-1 dim moves
  assert.deepEqual(asSwap([2, 3, 4], [2, 0, 1]), [1, 6, 4, 1]); // [a,b,c]->[c,a,b] swaps the blocks [a,b] and [c]
  assert.equal(asSwap([2, 3, 4], [2, 1, 0]), null);
  assert.equal(asSwap([2, 3, 4, 5], [1, 3, 0, 2]), null);
});

test("wasm Transpose matches the cpu backend for every permutation, dtype and edge size", async () => {
  const inputs = cases.map(values);
  const run = (c: Case, v: number[]) => tf.tidy(() => {
    const y = tf.transpose(tf.tensor(v, c.shape, c.dtype), c.perm);
    return { shape: y.shape, data: Array.from(y.dataSync()) };
  });
  await tf.setBackend("cpu");
  const want = cases.map((c, i) => run(c, inputs[i]));
  await tf.setBackend("wasm");
  cases.forEach((c, i) => {
    const got = run(c, inputs[i]);
    assert.deepEqual(got, want[i], `[${c.shape}] perm [${c.perm}] ${c.dtype}`);
  });
});

test("transpose's gradient matches cpu, and the kernel shares no memory it should not", async () => {
  const v = values({ shape: [3, 5, 2, 4], perm: [], dtype: "float32" });
  const w = values({ shape: [3, 2, 5, 4], perm: [], dtype: "float32" });
  const grad = () => tf.tidy(() => {
    const f = (x: tf.Tensor) => tf.sum(tf.mul(tf.transpose(x, [0, 2, 1, 3]), tf.tensor(w, [3, 2, 5, 4])));
    return Array.from(tf.grad(f)(tf.tensor(v, [3, 5, 2, 4])).dataSync());
  });
  await tf.setBackend("cpu");
  const want = grad();
  await tf.setBackend("wasm");
  assert.deepEqual(grad(), want); // a pure copy: bit-exact

  // A transpose that moves only size-1 dims shares the input's data; both stay valid alone.
  const x = tf.tensor([1, 2, 3], [3, 1]);
  const y = tf.transpose(x);
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
  y.dispose();
});
