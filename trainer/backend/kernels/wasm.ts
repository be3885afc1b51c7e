import * as tf from "@tensorflow/tfjs";
import { batchMatMul } from "./batch-mat-mul";
import { gatherV2 } from "./gather";
import { identity } from "./identity";
import { replaceWasmKernel, restoreStockKernels } from "./replace";
import { sum } from "./sum";
import { transpose } from "./transpose";
import { registerWasmUnsortedSegmentSum } from "./unsorted-segment-sum";

/** Stock wasm kernels that are slow at the trainer's shapes, and their replacements. */
const REPLACEMENTS: [string, tf.KernelFunc][] = [
  [tf.BatchMatMul, batchMatMul as tf.KernelFunc],
  [tf.Sum, sum as tf.KernelFunc],
  [tf.Transpose, transpose as tf.KernelFunc],
  [tf.Identity, identity as tf.KernelFunc],
  [tf.GatherV2, gatherV2 as tf.KernelFunc],
];

/** Registers the wasm kernels the trainer adds or replaces; safe to call again. */
export function registerWasmKernels(): void {
  registerWasmUnsortedSegmentSum();
  for (const [name, f] of REPLACEMENTS) replaceWasmKernel(name, f);
}

/** Back to the stock kernels (UnsortedSegmentSum stays: wasm has none of its own). */
export const useStockWasmKernels = restoreStockKernels;
