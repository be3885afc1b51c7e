import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/rng";
import { selectBackend } from "../../trainer/backend/backend";
import { loadNativeGemm, nativeGemm, nativeGemmEnabled, useNativeGemm } from "../../trainer/backend/kernels/native-gemm";

await selectBackend("wasm"); // registers the replacement kernel
const rng = new Rng(11);

interface Case { a: number[]; b: number[]; ta: boolean; tb: boolean }

/** Shapes of a and b for [batch..., M, K] @ [batch..., K, N] under the given transposes. */
function shapes(aBatch: number[], bBatch: number[], M: number, K: number, N: number, ta: boolean, tb: boolean): Case {
  return { a: [...aBatch, ...(ta ? [K, M] : [M, K])], b: [...bBatch, ...(tb ? [N, K] : [K, N])], ta, tb };
}

const cases: Case[] = [];
for (const ta of [false, true])
  for (const tb of [false, true]) {
    cases.push(
      shapes([], [], 5, 7, 3, ta, tb), // 2-D, odd sizes
      shapes([], [], 1, 1, 1, ta, tb),
      shapes([], [], 1, 9, 4, ta, tb), // one row
      shapes([], [], 6, 1, 5, ta, tb), // outer product
      shapes([1], [1], 4, 3, 2, ta, tb), // batch 1
      shapes([3], [3], 5, 4, 7, ta, tb),
      shapes([3], [], 5, 4, 7, ta, tb), // b shared: folded into rows
      shapes([3], [1], 2, 5, 3, ta, tb),
      shapes([], [4], 3, 6, 2, ta, tb), // a shared
      shapes([], [4], 2, 6, 3, ta, tb), // a shared, N > M
      shapes([2, 3], [2, 3], 3, 2, 5, ta, tb), // rank 4
      shapes([2, 1], [1, 4], 3, 5, 2, ta, tb), // broadcast both ways: the stock kernel gets this wrong
      shapes([8], [8], 33, 16, 31, ta, tb), // attention-like, odd
    );
  }

const randoms = (shape: number[]) => Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.normal());
const label = (c: Case) => `[${c.a}]${c.ta ? "ᵀ" : ""} @ [${c.b}]${c.tb ? "ᵀ" : ""}`;

/** Product, and gradients of sum(product * w), on the current backend. */
function run(c: Case, av: Float32Array, bv: Float32Array, broadcastFirst: boolean) {
  return tf.tidy(() => {
    let a: tf.Tensor = tf.tensor(av, c.a);
    let b: tf.Tensor = tf.tensor(bv, c.b);
    const f = (x: tf.Tensor, y: tf.Tensor) => {
      if (broadcastFirst) {
        // tfjs's cpu kernel mishandles batch dims that broadcast both ways ([2,1] with [1,4]), so the
        // reference broadcasts them explicitly first.
        const dims = tf.broadcast_util.assertAndGetBroadcastShape(x.shape.slice(0, -2), y.shape.slice(0, -2));
        x = tf.broadcastTo(x, [...dims, ...x.shape.slice(-2)]);
        y = tf.broadcastTo(y, [...dims, ...y.shape.slice(-2)]);
      }
      return tf.matMul(x, y, c.ta, c.tb);
    };
    const out = f(a, b);
    // tfjs's BatchMatMul gradient does not reduce over broadcast batch dims, on any backend.
    if (!tf.util.arraysEqual(c.a.slice(0, -2), c.b.slice(0, -2))) return { shape: out.shape, out: out.dataSync() };
    const w = tf.tensor(randomsFor(out.shape), out.shape);
    const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(f(x, y), w)))([a, b]);
    return { shape: out.shape, out: out.dataSync(), da: da.dataSync(), db: db.dataSync(), daShape: da.shape, dbShape: db.shape };
  });
}

// The weights of the gradient test must match across backends: drawn once per case, replayed.
const wCache = new Map<string, Float32Array>();
let wKey = "";
function randomsFor(shape: number[]): Float32Array {
  const key = `${wKey}:${shape}`;
  if (!wCache.has(key)) wCache.set(key, randoms(shape));
  return wCache.get(key)!;
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-4 * (1 + Math.abs(want[i]));
    assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what} [${i}]: ${got[i]} vs ${want[i]}`);
  }
}

// CI installs OpenBLAS, so there the native path must load and be tested; elsewhere it may be absent.
const native = nativeGemm();
if (process.env.CI) assert.ok(native.ok, `OpenBLAS path: ${native.ok ? "" : native.reason}`);
const paths = native.ok ? ["XNNPACK", "OpenBLAS"] : ["XNNPACK"];

test(`wasm BatchMatMul and its gradients match the cpu backend in every transpose and broadcast (${paths.join(", ")})`, async () => {
  assert.ok(cases.filter((c) => tf.util.arraysEqual(c.a.slice(0, -2), c.b.slice(0, -2))).length >= 24, "most cases check gradients");
  const inputs = cases.map((c) => [randoms(c.a), randoms(c.b)] as const);
  await tf.setBackend("cpu");
  const want = cases.map((c, i) => ((wKey = String(i)), run(c, inputs[i][0], inputs[i][1], true)));
  await tf.setBackend("wasm");
  const wasEnabled = nativeGemmEnabled();
  for (const route of paths) {
    useNativeGemm(route === "OpenBLAS");
    cases.forEach((c, i) => {
      wKey = String(i);
      const got = run(c, inputs[i][0], inputs[i][1], false);
      const what = `${route} ${label(c)}`;
      assert.deepEqual(got.shape, want[i].shape, `${what} shape`);
      close(got.out, want[i].out, `${what} product`);
      if (!got.da) return;
      assert.deepEqual(got.daShape, c.a, `${what} da shape`);
      assert.deepEqual(got.dbShape, c.b, `${what} db shape`);
      close(got.da, want[i].da!, `${what} da`);
      close(got.db!, want[i].db!, `${what} db`);
    });
  }
  useNativeGemm(wasEnabled);
});

test("the OpenBLAS addon refuses operands outside the heap and malformed arguments instead of crashing", { skip: !native.ok && "OpenBLAS is not installed here" }, () => {
  if (!native.ok) return;
  const heap = new ArrayBuffer(4 * 16);
  const f = new Float32Array(heap);
  f.set([1, 2, 3, 4], 0);
  f.set([5, 6, 7, 8], 4);
  native.lib.gemm(heap, 0, 0, 2, 2, 2, Float64Array.of(0), Float64Array.of(16), Float64Array.of(32));
  assert.deepEqual([...f.subarray(8, 12)], [19, 22, 43, 50]);
  native.lib.gemm(heap, 1, 1, 2, 2, 2, Float64Array.of(0), Float64Array.of(16), Float64Array.of(32));
  assert.deepEqual([...f.subarray(8, 12)], [23, 31, 34, 46], "both transposed: (BA)ᵀ");
  const o = (x: number) => Float64Array.of(x);
  assert.throws(() => native.lib.gemm(heap, 0, 0, 2, 2, 2, o(0), o(16), o(52)), /outside the heap/);
  assert.throws(() => native.lib.gemm(heap, 0, 0, 2, 2, 2, o(-4), o(16), o(32)), /outside the heap/);
  assert.throws(() => native.lib.gemm(heap, 0, 0, 2, 2, 2, o(2), o(16), o(32)), /outside the heap/);
  assert.throws(() => native.lib.gemm(heap, 0, 0, 0, 2, 2, o(0), o(16), o(32)), /must be positive/);
  assert.throws(() => native.lib.gemm(heap, 0, 0, 2, 2, 2, Int32Array.of(0) as never, o(16), o(32)), /three Float64Arrays/);
  assert.throws(() => native.lib.gemm(heap, 0, 0, 2, 2, 2, Float64Array.of(0, 0), o(16), o(32)), /three Float64Arrays/);
  assert.match(native.lib.config, /OpenBLAS/);
  assert.ok(native.lib.threads() >= 1);
});

test("the replacement leaks no tensors and no heap entries", async () => {
  await tf.setBackend("wasm");
  const a = tf.tensor(randoms([4, 16, 8]), [4, 16, 8]);
  const b = tf.tensor(randoms([4, 16, 8]), [4, 16, 8]);
  tf.matMul(a, b, false, true).dispose(); // warm-up allocations
  const before = { tensors: tf.memory().numTensors, ids: (tf.backend() as unknown as { numDataIds(): number }).numDataIds() };
  for (let i = 0; i < 5; i++) tf.matMul(a, b, false, true).dispose();
  assert.equal(tf.memory().numTensors, before.tensors);
  assert.equal((tf.backend() as unknown as { numDataIds(): number }).numDataIds(), before.ids);
  a.dispose();
  b.dispose();
});

test("products with an empty dimension fall back to the stock kernel", async () => {
  await tf.setBackend("wasm");
  const out = tf.matMul(tf.zeros([2, 0, 3]), tf.zeros([2, 3, 4]));
  assert.deepEqual(out.shape, [2, 0, 4]);
  out.dispose();
});

test("the addon is built once into its cache; without a compiler or with a failing one, the reason is plain", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "native-gemm-"));
  try {
    const missing = loadNativeGemm({ cacheDir: dir, compiler: "no-such-compiler" });
    assert.deepEqual(missing, { ok: false, reason: "no C compiler (no-such-compiler) to build it" });
    const failing = loadNativeGemm({ cacheDir: dir, compiler: "false" });
    assert.equal(failing.ok, false);
    assert.match(failing.ok ? "" : failing.reason, /^building it failed: /);
    assert.deepEqual(fs.readdirSync(dir), [], "a failed build leaves nothing behind");
    if (!native.ok) return;
    const built = loadNativeGemm({ cacheDir: dir });
    assert.ok(built.ok, built.ok ? undefined : built.reason);
    assert.deepEqual(fs.readdirSync(dir).map((f) => /^gemm-[0-9a-f]{16}\.node$/.test(f)), [true]);
    const cached = loadNativeGemm({ cacheDir: dir, compiler: "no-such-compiler" });
    assert.ok(cached.ok, "the cached build needs no compiler");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
