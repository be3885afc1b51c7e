import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, stock } from "./replace";

/**
 * GatherV2 for the wasm backend. The stock C++ kernel recomputes a full multi-dimensional index
 * for every element: the embedding lookup (1024 rows of 128 floats from a [512, 128] table) took
 * ~5 ms. Copying whole rows in JS takes ~0.1 ms (bench/kernels.ts). Same layout, bounds check and
 * message as the stock kernel; strings go to it.
 */
export function gatherV2(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
  if (x.dtype === "string") return stock(tf.GatherV2)(args) as tf.TensorInfo;
  const axis = tf.util.parseAxisParam(args.attrs!.axis as number, x.shape)[0];
  const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(
    x as tf.Tensor, indices as tf.Tensor, axis, (args.attrs!.batchDims as number) ?? 0,
  );
  const { batchSize, outerSize, dimSize, sliceSize } = info;
  const idx = backend.readSync(indices.dataId) as Int32Array;
  for (const i of idx) tf.util.assert(i <= dimSize - 1 && i >= 0, () => `GatherV2: the index value ${i} is not in [0, ${dimSize - 1}]`);
  const perBatch = idx.length / batchSize;
  const out = backend.makeOutput(info.outputShape, x.dtype);
  if (tf.util.sizeFromShape(x.shape) === 0 || idx.length === 0) return out;
  // Views after makeOutput: its malloc may grow the heap and detach older views.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  let d = 0;
  for (let b = 0; b < batchSize; b++)
    for (let o = 0; o < outerSize; o++) {
      const base = (b * outerSize + o) * dimSize;
      for (let i = 0; i < perBatch; i++, d += sliceSize) {
        const s = (base + idx[b * perBatch + i]) * sliceSize;
        if (sliceSize === 1) dst[d] = src[s];
        else dst.set(src.subarray(s, s + sliceSize), d);
      }
    }
  return out;
}
