import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, stock } from "./replace";

/**
 * Identity for the wasm backend that shares the input's memory, as Reshape does and as the cpu
 * backend's Identity does; the stock kernel copies it. tfjs tensors are immutable, and tf.customGrad
 * clones every tensor it saves for backward, so the copies cost ~80 launches and ~15 ms per step of
 * the default model (measured).
 */
export function identity(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === "string") return stock("Identity")(args) as tf.TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
