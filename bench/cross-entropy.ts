// Benchmark: the trainer's cross-entropy (gather + scatter, trainer/model/model.ts) against the one-hot
// form it replaced, forward + backward on [N, V] logits, on the chosen backend (default wasm).
// `node --import tsx bench/cross-entropy.ts [wasm|cpu] [N]`. Prints ms per call and the ratio.
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../trainer/backend/backend";
import { crossEntropy } from "../trainer/model/model";

type Saver = (tensors: tf.Tensor[]) => void;
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/** The previous formulation: log-softmax times an [N, V] one-hot. */
function oneHotCrossEntropy(z: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const [N, V] = z.shape;
  const onehot = tf.cast(tf.oneHot(targets, V), "float32");
  const ce = tf.customGrad(((logits: tf.Tensor2D, save: Saver) => {
    const shifted = tf.sub(logits, tf.max(logits, -1, true));
    const logp = tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), -1, true)));
    save([logp, onehot]);
    return {
      value: tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), -1))),
      gradFunc: (dy: tf.Scalar, [lp, oh]: tf.Tensor[]) => tf.mul(tf.sub(tf.exp(lp), oh), tf.div(dy, N)),
    };
  }) as unknown as CustomGradFn) as (z: tf.Tensor2D) => tf.Scalar;
  return ce(z);
}

const backend = (process.argv[2] ?? "wasm") as "wasm" | "cpu";
const N = Number(process.argv[3] ?? 512);
await selectBackend(backend);

function time(f: typeof crossEntropy, z: tf.Variable, y: tf.Tensor1D, reps: number): { ms: number; loss: number; grad: Float32Array } {
  const run = () => tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => f(z as unknown as tf.Tensor2D, y), [z]);
    return [value, Object.values(grads)[0]] as const;
  });
  for (let i = 0; i < 3; i++) run().forEach((t) => t.dataSync() && t.dispose());
  const t0 = performance.now();
  let last: readonly [tf.Tensor, tf.Tensor] | null = null;
  for (let i = 0; i < reps; i++) {
    last?.forEach((t) => t.dispose());
    last = run();
    last[0].dataSync();
  }
  const ms = (performance.now() - t0) / reps;
  const out = { ms, loss: last![0].dataSync()[0], grad: last![1].dataSync() as Float32Array };
  last!.forEach((t) => t.dispose());
  return out;
}

console.log(`# cross-entropy forward+backward on ${tf.getBackend()}, N = ${N}`);
for (const V of [256, 2048, 8192, 16384]) {
  const z = tf.variable(tf.randomNormal([N, V], 0, 2, "float32", 1), true, `z${V}`);
  const y = tf.tensor1d(Array.from({ length: N }, (_, i) => (i * 7919) % V), "int32");
  const reps = Math.max(5, Math.round(4e7 / (N * V)));
  const a = time(oneHotCrossEntropy, z, y, reps);
  const b = time(crossEntropy, z, y, reps);
  const maxDiff = a.grad.reduce((m, g, i) => Math.max(m, Math.abs(g - b.grad[i])), 0);
  console.log(
    `V=${String(V).padStart(5)}  one-hot ${a.ms.toFixed(2)} ms  gather ${b.ms.toFixed(2)} ms  ` +
      `ratio ${(a.ms / b.ms).toFixed(2)}x  |Δloss| ${Math.abs(a.loss - b.loss).toExponential(1)}  max|Δgrad| ${maxDiff.toExponential(1)}`,
  );
  z.dispose();
  y.dispose();
}
