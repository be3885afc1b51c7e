// Micro-benchmark of the wasm kernels the trainer replaces (trainer/backend/kernels/), stock against
// replaced, interleaved call by call in one process so that load from other jobs hits both alike.
// Shapes are the tiny model: 4 layers, width 128, 4 heads, context 128, batch 8, vocab 512.
//   node --import tsx bench/kernels.ts [--reps 30]
// Prints medians and the p10-p90 spread; the spread is the noise. Whole training steps before and
// after are `npm run bench:train` (docs/throughput.md, "Kernels").
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../trainer/backend/backend";
import { registerWasmKernels, useStockWasmKernels } from "../trainer/backend/kernels/wasm";
import { crossEntropy } from "../trainer/model/cross-entropy";
import { gelu, type CustomGradFn, type Saver } from "../trainer/model/layers";
import { percentile } from "./train-throughput-report";

const arg = (name: string) => process.argv.indexOf(name);
const reps = arg("--reps") > 0 ? Number(process.argv[arg("--reps") + 1]) : 30;
await selectBackend("wasm");

const B = 8, T = 128, C = 128, H = 4, D = C / H, N = B * T;

const stats = (v: number[]) => ({ med: percentile(v, 50), p10: percentile(v, 10), p90: percentile(v, 90) });

/** Median ms of `f` under each of the two kernel sets, alternating call by call. */
function ab(f: () => tf.Tensor | tf.Tensor[], n = reps): { stock: number[]; replaced: number[] } {
  const out = { stock: [] as number[], replaced: [] as number[] };
  for (let i = -3; i < n; i++)
    for (const mode of ["stock", "replaced"] as const) {
      if (mode === "stock") useStockWasmKernels();
      else registerWasmKernels();
      const t0 = performance.now();
      const y = f();
      const ms = performance.now() - t0;
      tf.dispose(y);
      if (i >= 0) out[mode].push(ms);
    }
  registerWasmKernels();
  return out;
}

const fmt = (x: number, w = 7, d = 3) => x.toFixed(d).padStart(w);
const spread = (v: number[]) => { const s = stats(v); return `${fmt(s.med)} [${fmt(s.p10, 0)}-${fmt(s.p90, 0)}]`; };

console.log(`# wasm kernels, stock vs replaced; ms as median [p10-p90] of ${reps} interleaved calls each`);
console.log(`\n## BatchMatMul (GFLOP/s from the medians)`);
const products: [string, number[], number[], boolean, boolean][] = [
  // name, a, b, transposeA, transposeB
  ["attn scores q@kᵀ", [B * H, T, D], [B * H, T, D], false, true],
  ["attn p@v, dq", [B * H, T, T], [B * H, T, D], false, false],
  ["attn dk, dv (Aᵀ@B)", [B * H, T, T], [B * H, T, D], true, false],
  ["linear x@W", [N, C], [C, 4 * C], false, false],
  ["linear dx = dy@Wᵀ", [N, 4 * C], [C, 4 * C], false, true],
  ["linear dW = xᵀ@dy", [N, C], [N, 4 * C], true, false],
  ["linear dW, wide x", [N, 4 * C], [N, C], true, false],
  ["folded batch [B,T,C]@[C,4C]", [B, T, C], [C, 4 * C], false, false],
];
console.log(`${"product".padEnd(28)} ${"shape".padEnd(34)} ${"stock ms".padStart(24)} ${"replaced ms".padStart(24)}  GFLOP/s stock → replaced`);
for (const [name, sa, sb, ta, tb] of products) {
  const a = tf.randomNormal(sa);
  const b = tf.randomNormal(sb);
  const M = ta ? sa.at(-1)! : sa.at(-2)!;
  const K = ta ? sa.at(-2)! : sa.at(-1)!;
  const Nn = tb ? sb.at(-2)! : sb.at(-1)!;
  const batch = Math.max(sa.slice(0, -2).reduce((p, d) => p * d, 1), sb.slice(0, -2).reduce((p, d) => p * d, 1));
  const flops = 2 * batch * M * K * Nn;
  const r = ab(() => tf.matMul(a, b, ta, tb));
  const shape = `[${sa}]${ta ? "ᵀ" : ""}@[${sb}]${tb ? "ᵀ" : ""}`;
  const g = (v: number[]) => (flops / stats(v).med / 1e6).toFixed(1);
  console.log(`${name.padEnd(28)} ${shape.padEnd(34)} ${spread(r.stock)} ${spread(r.replaced)}  ${g(r.stock).padStart(5)} → ${g(r.replaced).padStart(5)}`);
  tf.dispose([a, b]);
}

console.log(`\n## Other kernels`);
const others: [string, () => tf.Tensor, tf.Tensor][] = [];
const add = (name: string, shape: number[], f: (x: tf.Tensor) => tf.Tensor) => {
  const x = tf.randomNormal(shape);
  others.push([name, () => f(x), x]);
};
add("Sum axis 0 [1024,128] (bias grad)", [N, C], (x) => tf.sum(x, 0));
add("Sum axis 0 [1024,512]", [N, 4 * C], (x) => tf.sum(x, 0));
add("Transpose [1024,128]", [N, C], (x) => tf.transpose(x));
add("Transpose [1024,512]", [N, 4 * C], (x) => tf.transpose(x));
add("Transpose [128,512] (weight)", [C, 4 * C], (x) => tf.transpose(x));
add("Transpose [8,128,4,32] heads", [B, T, H, D], (x) => tf.transpose(x, [0, 2, 1, 3]));
add("Identity (clone) [1024,512]", [N, 4 * C], (x) => tf.clone(x));
const tokens = tf.tensor1d(Array.from({ length: N }, (_, i) => (i * 37) % 512), "int32");
add("GatherV2 [512,128] by 1024 ids", [512, C], (x) => tf.gather(x, tokens));
console.log(`${"kernel".padEnd(36)} ${"stock ms".padStart(24)} ${"replaced ms".padStart(24)}  ratio`);
for (const [name, f, x] of others) {
  const r = ab(f);
  console.log(`${name.padEnd(36)} ${spread(r.stock)} ${spread(r.replaced)}  ${(stats(r.stock).med / stats(r.replaced).med).toFixed(1)}x`);
  x.dispose();
}

console.log(`\n## Composite ops (kernels as registered; old form written out here)`);
const GELU_C = Math.sqrt(2 / Math.PI), GELU_A = 0.044715;
/** The tanh form layers.ts used before: 0.5 x (1 + tanh(u)), with autodiff. */
const geluTanh = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(tf.mul(tf.mul(x, tf.add(tf.mul(tf.mul(x, x), GELU_A), 1)), GELU_C)), 1));
/** The exp/sum form cross-entropy.ts used before, same closed-form gradient. */
function crossEntropyExp(z: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const [n, V] = z.shape;
  return tf.customGrad(((logits: tf.Tensor2D, save: Saver) => {
    const flatIdx = tf.add(tf.range(0, n * V, V, "int32"), targets);
    const shifted = tf.sub(logits, tf.max(logits, -1, true));
    const e = tf.exp(shifted);
    const s = tf.sum(e, -1);
    save([e, s, flatIdx]);
    return {
      value: tf.mean(tf.sub(tf.log(s), tf.gather(tf.reshape(shifted, [n * V]), flatIdx))),
      gradFunc: (dy: tf.Scalar, [se, ss, idx]: tf.Tensor[]) => {
        const dyN = tf.div(dy, n);
        const g = tf.reshape(tf.mul(se, tf.expandDims(tf.div(dyN, ss), 1)), [n * V]);
        return tf.reshape(tf.tensorScatterUpdate(g, tf.expandDims(idx, 1), tf.sub(tf.gather(g, idx), dyN)), [n, V]);
      },
    };
  }) as unknown as CustomGradFn)(z) as tf.Scalar;
}
const composites: [string, (x: tf.Tensor) => tf.Tensor, (x: tf.Tensor) => tf.Tensor, number[]][] = [
  ["GELU fwd+bwd [1024,512]", geluTanh, (x) => gelu(x as tf.Tensor2D), [N, 4 * C]],
  ["cross-entropy fwd+bwd [1024,512]", (x) => crossEntropyExp(x as tf.Tensor2D, tokens), (x) => crossEntropy(x as tf.Tensor2D, tokens), [N, 512]],
];
for (const [name, before, after, shape] of composites) {
  const x = tf.randomNormal(shape);
  const w = tf.randomNormal(shape);
  const run = (f: (x: tf.Tensor) => tf.Tensor) => () => tf.tidy(() => tf.grad((y: tf.Tensor) => tf.sum(tf.mul(f(y), w)))(x));
  const t = { before: [] as number[], after: [] as number[] };
  for (let i = -3; i < reps; i++)
    for (const k of ["before", "after"] as const) {
      const t0 = performance.now();
      run(k === "before" ? before : after)().dispose();
      if (i >= 0) t[k].push(performance.now() - t0);
    }
  console.log(`${name.padEnd(36)} before ${spread(t.before)}  after ${spread(t.after)}  ${(stats(t.before).med / stats(t.after).med).toFixed(1)}x`);
  tf.dispose([x, w]);
}
