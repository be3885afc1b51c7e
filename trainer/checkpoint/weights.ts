// The model inside a checkpoint, without the optimizer state.
import type { HostTensor } from "../../formats/safetensors";

/** Optimizer state is saved beside the weights under this prefix (see TrainState.tensors). */
const OPTIM_PREFIX = "optim.";

/** Model parameters by name, in name order. */
export function modelTensors(tensors: Map<string, HostTensor>): Map<string, HostTensor> {
  const names = [...tensors.keys()].filter((n) => !n.startsWith(OPTIM_PREFIX)).sort();
  if (names.length === 0) throw new Error("the checkpoint holds no model parameters");
  return new Map(names.map((n) => [n, tensors.get(n)!]));
}
