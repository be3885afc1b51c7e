import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/**
 * UnsortedSegmentSum for the wasm backend, which ships without it (tfjs issue #8082); gather's
 * gradient needs it, so without this an embedding cannot train on wasm.
 *
 * Semantics follow TensorFlow and the cpu backend: segmentIds covers the leading dims of x; the
 * output is [numSegments, ...x.shape.slice(segmentIds.rank)]; ids outside [0, numSegments) are
 * dropped and segments that receive nothing are zero. One pass over x, in JS over the wasm heap.
 */
function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = Number(args.attrs?.numSegments);
  if (x.dtype !== "float32" && x.dtype !== "int32")
    throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32, got ${x.dtype}`);
  const idRank = segmentIds.shape.length;
  if (segmentIds.shape.some((d, i) => d !== x.shape[i]))
    throw new Error(`segmentIds shape ${segmentIds.shape} must be a prefix of x shape ${x.shape}`);

  const innerShape = x.shape.slice(idRank);
  const inner = innerShape.reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  // Views are taken after makeOutput: a malloc may grow the heap and detach older views.
  const o = backend.typedArrayFromHeap(out);
  o.fill(0);
  const xs = backend.typedArrayFromHeap(x);
  const ids = backend.readSync(segmentIds.dataId) as Int32Array;
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return out;
}

/** Registers the kernel once; safe to call again. */
export function registerWasmUnsortedSegmentSum(): void {
  if (tf.getKernel(tf.UnsortedSegmentSum, "wasm")) return;
  tf.registerKernel({ kernelName: tf.UnsortedSegmentSum, backendName: "wasm", kernelFunc: unsortedSegmentSum as tf.KernelFunc });
}
