import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { AdamW } from "../../trainer/adamw";
import { selectBackend } from "../../trainer/backend";

await selectBackend("wasm");

const opts = { beta1: 0.9, beta2: 0.95, weightDecay: 0.5, eps: 1e-8 };

/** Reference AdamW in float64 for one scalar element. */
function reference(p0: number, gs: number[], lrs: number[], decay: boolean): number {
  let p = p0, m = 0, v = 0;
  gs.forEach((g, i) => {
    const t = i + 1;
    if (decay) p -= lrs[i] * opts.weightDecay * p;
    m = opts.beta1 * m + (1 - opts.beta1) * g;
    v = opts.beta2 * v + (1 - opts.beta2) * g * g;
    p -= (lrs[i] * (m / (1 - opts.beta1 ** t))) / (Math.sqrt(v / (1 - opts.beta2 ** t)) + opts.eps);
  });
  return p;
}

test("AdamW steps match a hand computation; decay applies to matrices only", () => {
  const w0 = [[0.5, -1], [2, 0.25]];
  const b0 = [1, -2];
  const params = new Map<string, tf.Variable>([
    ["b", tf.variable(tf.tensor1d(b0))],
    ["w", tf.variable(tf.tensor2d(w0))],
  ]);
  const opt = new AdamW(params, opts);
  const gw = [[[0.1, -0.2], [0.3, 0.05]], [[-0.4, 0.1], [0.2, 0.2]]];
  const gb = [[0.5, -0.5], [0.25, 1]];
  const lrs = [0.1, 0.05];
  for (let s = 0; s < 2; s++) {
    opt.step(new Map<string, tf.Tensor>([["w", tf.tensor2d(gw[s])], ["b", tf.tensor1d(gb[s])]]), lrs[s]);
  }
  const w = params.get("w")!.dataSync();
  const b = params.get("b")!.dataSync();
  for (let i = 0; i < 4; i++) {
    const want = reference(w0.flat()[i], gw.map((g) => g.flat()[i]), lrs, true);
    assert.ok(Math.abs(w[i] - want) < 1e-6, `w[${i}] ${w[i]} vs ${want}`);
  }
  for (let i = 0; i < 2; i++) {
    const want = reference(b0[i], gb.map((g) => g[i]), lrs, false);
    assert.ok(Math.abs(b[i] - want) < 1e-6, `b[${i}] ${b[i]} vs ${want}`);
    // Had the bias been decayed, it would differ measurably:
    assert.ok(Math.abs(b[i] - reference(b0[i], gb.map((g) => g[i]), lrs, true)) > 1e-3);
  }
  assert.equal(opt.getState().t, 2);
});

test("state round trip: a restored optimizer takes the same next step", () => {
  const mk = () => new Map([["w", tf.variable(tf.tensor2d([[1, 2], [3, 4]]))]]);
  const pa = mk();
  const a = new AdamW(pa, opts);
  const g = () => new Map<string, tf.Tensor>([["w", tf.tensor2d([[0.1, -0.3], [0.2, 0.7]])]]);
  a.step(g(), 0.01);
  a.step(g(), 0.01);
  const pb = mk();
  pb.get("w")!.assign(pa.get("w")!);
  const b = new AdamW(pb, opts);
  const st = a.getState();
  assert.deepEqual([...st.tensors.keys()].sort(), ["m.w", "v.w"]);
  b.setState({ t: st.t, tensors: new Map([...st.tensors].map(([k, t]) => [k, t.clone()])) });
  a.step(g(), 0.01);
  b.step(g(), 0.01);
  assert.deepEqual(Array.from(pb.get("w")!.dataSync()), Array.from(pa.get("w")!.dataSync()));
  assert.throws(() => b.setState({ t: 1, tensors: new Map() }), /lacks m\.w/);
});
