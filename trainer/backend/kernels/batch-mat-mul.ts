import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activeGemm, type NativeGemm } from "./native-gemm";
import { type KernelArgs, stock } from "./replace";
import { transposeOn } from "./transpose";
import { offsetOf, product2d } from "./xnn-matmul";

/**
 * BatchMatMul for the wasm backend that keeps every product on XNNPACK.
 *
 * The stock kernel hands a product to XNNPACK only when it is a single [M, K] @ [K, N] without
 * transpose flags; anything batched or transposed runs a scalar loop at ~2 GFLOP/s against ~20
 * on XNNPACK (bench/kernels.ts). Here a transposed operand is transposed explicitly first; a
 * right operand shared by the whole batch is folded into one [batch*M, K] @ [K, N] product; any
 * other batch runs as one XNNPACK product per batch entry, on views into the operands (no copies).
 * Batch dims broadcast both ways, which the stock kernel gets wrong ([2,1] with [1,4]).
 * Where OpenBLAS is installed (native-gemm.ts) every float product runs on it instead, transposes
 * included, in place in the wasm heap.
 */

/** A new [batch, C, R] tensor holding each [R, C] matrix of x transposed. */
function transposed(backend: BackendWasm, x: tf.TensorInfo, batch: number, R: number, C: number): tf.TensorInfo {
  return transposeOn(backend, { ...x, shape: [batch, R, C] }, [0, 2, 1]);
}

/** For each flat index of the broadcast batch `outDims`, the flat batch index in `dims` (right-aligned). */
function broadcastIndex(dims: number[], outDims: number[]): Int32Array {
  const total = outDims.reduce((p, d) => p * d, 1);
  const idx = new Int32Array(total);
  const pad = outDims.length - dims.length;
  for (let o = 0; o < total; o++) {
    let rest = o;
    let flat = 0;
    let stride = 1;
    for (let d = outDims.length - 1; d >= 0; d--) {
      const coord = rest % outDims[d];
      rest = Math.floor(rest / outDims[d]);
      const size = d >= pad ? dims[d - pad] : 1;
      if (size !== 1) flat += coord * stride;
      stride *= size;
    }
    idx[o] = flat;
  }
  return idx;
}

/** out [...broadcast(aDims, bDims), M, N] = A @ B for row-major A [...aDims, M, K] and B [...bDims, K, N]. */
function products(backend: BackendWasm, A: tf.TensorInfo, B: tf.TensorInfo, aDims: number[], bDims: number[], M: number, K: number, N: number): tf.TensorInfo {
  const outDims = tf.broadcast_util.assertAndGetBroadcastShape(aDims, bDims);
  const out = backend.makeOutput([...outDims, M, N], "float32");
  const aOff = offsetOf(backend, A);
  const bOff = offsetOf(backend, B);
  const oOff = offsetOf(backend, out);
  if (bDims.every((d) => d === 1)) {
    // One shared right operand: the batch is just more rows of a single product.
    product2d(backend, aOff, bOff, oOff, aDims.reduce((p, d) => p * d, 1) * M, K, N);
  } else {
    const ai = broadcastIndex(aDims, outDims);
    const bi = broadcastIndex(bDims, outDims);
    for (let o = 0; o < ai.length; o++) product2d(backend, aOff + 4 * ai[o] * M * K, bOff + 4 * bi[o] * K * N, oOff + 4 * o * M * N, M, K, N);
  }
  return out;
}

/** Every product on OpenBLAS, reading and writing the wasm heap in place; transposes are its flags. */
function nativeProducts(
  native: NativeGemm, backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean,
  aDims: number[], bDims: number[], M: number, K: number, N: number,
): tf.TensorInfo {
  const outDims = tf.broadcast_util.assertAndGetBroadcastShape(aDims, bDims);
  const out = backend.makeOutput([...outDims, M, N], "float32");
  const aOff = offsetOf(backend, a);
  const bOff = offsetOf(backend, b);
  const oOff = offsetOf(backend, out);
  // Read after makeOutput: growing the heap replaces its buffer.
  const heap = (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer;
  const at = (offset: number) => Float64Array.of(offset);
  if (!transposeA && bDims.every((d) => d === 1)) {
    // One shared right operand: the batch is just more rows of a single product.
    native.gemm(heap, 0, transposeB ? 1 : 0, aDims.reduce((p, d) => p * d, 1) * M, N, K, at(aOff), at(bOff), at(oOff));
  } else {
    const ai = broadcastIndex(aDims, outDims);
    const bi = broadcastIndex(bDims, outDims);
    native.gemm(heap, transposeA ? 1 : 0, transposeB ? 1 : 0, M, N, K,
      Float64Array.from(ai, (i) => aOff + 4 * i * M * K), Float64Array.from(bi, (i) => bOff + 4 * i * K * N), Float64Array.from(ai, (_, o) => oOff + 4 * o * M * N));
  }
  return out;
}

export function batchMatMul(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const transposeA = Boolean(args.attrs?.transposeA);
  const transposeB = Boolean(args.attrs?.transposeB);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const Kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const aDims = a.shape.slice(0, -2);
  const bDims = b.shape.slice(0, -2);
  const aBatch = aDims.reduce((p, d) => p * d, 1);
  const bBatch = bDims.reduce((p, d) => p * d, 1);
  // The stock kernel owns the error messages and the empty and non-float cases.
  if (a.dtype !== "float32" || b.dtype !== "float32" || M * K * N === 0 || K !== Kb) return stock(tf.BatchMatMul)(args) as tf.TensorInfo;
  const native = activeGemm();
  if (native) return nativeProducts(native, backend, a, b, transposeA, transposeB, aDims, bDims, M, K, N);
  // The stock kernel already takes XNNPACK for a plain product.
  if (!transposeA && !transposeB && aBatch === 1 && bBatch === 1) return stock(tf.BatchMatMul)(args) as tf.TensorInfo;

  if (transposeA && !transposeB && N < M && aBatch === 1 && bBatch === 1) {
    // A weight gradient xᵀ @ dy with x [B*T, 4C] and dy [B*T, C]: transposing the tall, wide x is
    // the largest cost, so Aᵀ B = (Bᵀ A)ᵀ transposes dy and the small [C, 4C] result instead
    // (p10 6.6 -> 5.0 ms at the tiny model's shape). For attention's batched Aᵀ B it measured no better.
    const Bt = transposed(backend, b, bBatch, K, N);
    const outT = products(backend, Bt, a, bDims, aDims, N, K, M);
    backend.disposeData(Bt.dataId);
    const r = outT.shape.length;
    const out = transposeOn(backend, outT, [...Array(r - 2).keys(), r - 1, r - 2]);
    backend.disposeData(outT.dataId);
    return out;
  }
  const A = transposeA ? transposed(backend, a, aBatch, K, M) : a;
  const B = transposeB ? transposed(backend, b, bBatch, N, K) : b;
  const out = products(backend, A, B, aDims, bDims, M, K, N);
  if (A !== a) backend.disposeData(A.dataId);
  if (B !== b) backend.disposeData(B.dataId);
  return out;
}
