import * as tf from "@tensorflow/tfjs";

export type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The wasm backend's own kernels that a replacement displaced, by kernel name. */
const stockKernels = new Map<string, tf.KernelConfig>();

/**
 * Puts `kernelFunc` in place of the wasm backend's kernel `name`, keeping the stock config (its
 * setupFunc binds the C++ export that the replacement may still delegate to). Safe to call again.
 */
export function replaceWasmKernel(name: string, kernelFunc: tf.KernelFunc): void {
  const current = tf.getKernel(name, "wasm");
  if (!current) throw new Error(`the wasm backend has no ${name} kernel to replace`);
  if (current.kernelFunc === kernelFunc) return;
  stockKernels.set(name, current);
  tf.unregisterKernel(name, "wasm");
  tf.registerKernel({ ...current, kernelFunc });
}

/** The stock kernel `name`, for the cases a replacement hands back. */
export function stock(name: string): tf.KernelFunc {
  const k = stockKernels.get(name) ?? tf.getKernel(name, "wasm");
  if (!k) throw new Error(`the wasm backend has no ${name} kernel`);
  return k.kernelFunc;
}

/** Puts every stock kernel back (benchmarks compare both in one process). */
export function restoreStockKernels(): void {
  for (const [name, config] of stockKernels) {
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(config);
  }
  stockKernels.clear();
}
