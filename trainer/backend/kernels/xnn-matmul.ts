import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/**
 * Direct access to the one fast matrix product the wasm backend has: its C++ BatchMatMul export
 * takes XNNPACK's fully-connected operator when both operands are 3-D with batch 1 and no
 * transpose flag (tfjs-backend-wasm batch_mat_mul_impl.cc), ~25 GFLOP/s on this machine.
 */

type WasmModule = BackendWasm["wasm"] & {
  cwrap: (name: string, ret: null, args: string[]) => (...args: unknown[]) => void;
  tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
};

interface Context {
  backend: BackendWasm;
  wasm: WasmModule;
  call: (...args: unknown[]) => void;
}

let ctx: Context | undefined;

function context(backend: BackendWasm): Context {
  if (ctx?.backend !== backend) {
    const wasm = backend.wasm as WasmModule;
    const call = wasm.cwrap("BatchMatMul", null, ["number", "array", "number", "number", "array", "number", "number", "number", "number"]);
    ctx = { backend, wasm, call };
  }
  return ctx;
}

/** Heap byte offset of a tensor's data. */
export function offsetOf(backend: BackendWasm, t: tf.TensorInfo): number {
  return (backend.dataIdMap.get(t.dataId) as unknown as { memoryOffset: number }).memoryOffset;
}

const shapeBytes = (shape: number[]) => new Uint8Array(new Int32Array(shape).buffer);

/**
 * Registers `size` floats at heap byte offset `offset` under a fresh tensor id, so the C++ kernel
 * can read or write part of another tensor. Fresh ids matter: XNNPACK caches a packed copy of
 * each right operand keyed by its id, and dropping the id drops that copy.
 */
function view(c: Context, offset: number, size: number): number {
  // The backend's own id counter (private in its typings), so no id is ever handed out twice.
  const backend = c.backend as unknown as { dataIdNextNumber: number };
  const id = backend.dataIdNextNumber++;
  c.wasm.tfjs.registerTensor(id, size, offset);
  return id;
}

/** out[M, N] = a[M, K] @ b[K, N] on XNNPACK; all three row-major and given by heap byte offset. */
export function product2d(backend: BackendWasm, aOff: number, bOff: number, outOff: number, M: number, K: number, N: number): void {
  const c = context(backend);
  const a = view(c, aOff, M * K);
  const b = view(c, bOff, K * N);
  const out = view(c, outOff, M * N);
  c.call(a, shapeBytes([1, M, K]), 3, b, shapeBytes([1, K, N]), 3, 0, 0, out);
  for (const id of [a, b, out]) c.wasm.tfjs.disposeData(id);
}
