import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, stock } from "./replace";

/**
 * Sum for the wasm backend. The stock kernel reduces only innermost axes, so a sum over leading
 * axes (every bias and norm-gain gradient: dy [B*T, C] summed over rows) first transposes the
 * whole input with its slow C++ transpose: ~3.5 ms for [1024, 512]. Adding rows in JS, eight at a
 * time into float64 accumulators, takes ~0.4 ms (bench/kernels.ts). Other axes go to the stock kernel.
 */
export function sum(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(args.attrs!.axis as number | number[], x.shape).sort((p, q) => p - q);
  const k = axes.length;
  const leading = k > 0 && k < rank && axes.every((d, i) => d === i);
  const R = x.shape.slice(0, k).reduce((p, d) => p * d, 1);
  const C = x.shape.slice(k).reduce((p, d) => p * d, 1);
  if (!leading || x.dtype !== "float32" || R * C === 0) return stock(tf.Sum)(args) as tf.TensorInfo;

  const outShape = args.attrs!.keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
  const out = backend.makeOutput(outShape, "float32");
  const s = backend.typedArrayFromHeap(x) as Float32Array;
  const acc = new Float64Array(C);
  let i = 0;
  for (; i + 8 <= R; i += 8)
    for (let j = 0, o = i * C; j < C; j++, o++)
      acc[j] += s[o] + s[o + C] + s[o + 2 * C] + s[o + 3 * C] + s[o + 4 * C] + s[o + 5 * C] + s[o + 6 * C] + s[o + 7 * C];
  for (; i < R; i++) for (let j = 0, o = i * C; j < C; j++, o++) acc[j] += s[o];
  (backend.typedArrayFromHeap(out) as Float32Array).set(acc);
  return out;
}
