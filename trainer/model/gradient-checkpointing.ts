import * as tf from "@tensorflow/tfjs";
import type { CustomGradFn, Saver } from "./layers";

export type Lookup = (name: string) => tf.Tensor;

/**
 * Runs `block(x, p)` as one op that keeps only its inputs for backward and recomputes the block
 * there (gradient checkpointing): activation memory drops from every intermediate of every block
 * to one [B*T, C] input per block, for about one extra forward pass.
 *
 * The block's parameters are passed as op inputs (`names`/`tensors`), not read from the closure:
 * ops inside a customGrad forward are not taped, so a variable that is not an input would get no
 * gradient.
 */
export function checkpointed(block: (x: tf.Tensor2D, p: Lookup) => tf.Tensor2D, x: tf.Tensor2D, names: string[], tensors: tf.Tensor[]): tf.Tensor2D {
  const run = (inputs: tf.Tensor[]) => {
    const byName = new Map(names.map((n, i) => [n, inputs[i + 1]]));
    return block(inputs[0] as tf.Tensor2D, (n) => {
      const t = byName.get(n);
      if (!t) throw new Error(`checkpointed block reads ${n}, which was not passed in`);
      return t;
    });
  };
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as Saver;
    const inputs = args as tf.Tensor[];
    save(inputs);
    return {
      // The engine runs this forward inside a tidy, so the block's intermediates are freed at once.
      value: run(inputs),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => recompute(() => tf.grads((...a: tf.Tensor[]) => run(a))(saved, dy)),
    };
  }) as unknown as CustomGradFn) as (...inputs: tf.Tensor[]) => tf.Tensor2D;
  return op(x, ...tensors);
}

/**
 * Runs a nested tf.grads inside an outer backward pass. The engine keeps a single active tape:
 * a nested gradients() call starts a fresh one and, on finishing, clears it to null, after which
 * the outer pass can no longer free its own saved tensors. Restoring the outer tape afterwards
 * lets both clean up. The tidy frees the recomputed forward's output, which tf.grads leaves behind.
 */
function recompute(f: () => tf.Tensor[]): tf.Tensor[] {
  const state = tf.engine().state;
  const outer = state.activeTape;
  try {
    return tf.tidy(f);
  } finally {
    state.activeTape = outer;
  }
}
