import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { flopsPerToken, paramCount, swigluHidden } from "../../lib/estimates";
import { Rng } from "../../lib/rng";
import { RunConfig } from "../../lib/run-config";
import { selectBackend } from "../../trainer/backend/backend";
import { rope } from "../../trainer/model/attention";
import { countParams, createParams, disposeParams, forward, lossFn, type ModelConfig } from "../../trainer/model/model";

await selectBackend("wasm");
const V = 300;
const cfg: ModelConfig = { arch: "llama", nLayer: 2, nHead: 2, dModel: 16, contextLength: 8, vocabSize: V };
const B = 2;
const T = 8;
const rng = new Rng(5);
const ids = Array.from({ length: B * T }, () => rng.int(V));
const targets = Array.from({ length: B * T }, () => rng.int(V));

test("llama parameters: sorted stable names, shapes, no biases or position table, init", () => {
  const p = createParams(cfg, new Rng(1));
  const names = [...p.keys()];
  assert.deepEqual(names, [...names].sort());
  assert.deepEqual(names.filter((n) => n.startsWith("h.0.")), [
    "h.0.attn.wk", "h.0.attn.wo", "h.0.attn.wq", "h.0.attn.wv", "h.0.attn_norm.g",
    "h.0.mlp.w1", "h.0.mlp.w2", "h.0.mlp.w3", "h.0.mlp_norm.g",
  ]);
  assert.deepEqual(names.filter((n) => !n.startsWith("h.")), ["norm_f.g", "wte"]);
  assert.equal(swigluHidden(16), 48);
  assert.deepEqual(p.get("h.1.mlp.w1")!.shape, [16, 48]);
  assert.deepEqual(p.get("h.1.mlp.w2")!.shape, [48, 16]);
  assert.deepEqual(p.get("h.1.attn.wq")!.shape, [16, 16]);
  assert.ok(p.get("norm_f.g")!.dataSync().every((x) => x === 1));
  const std = (name: string) => {
    const d = Array.from(p.get(name)!.dataSync());
    return Math.sqrt(d.reduce((s, x) => s + x * x, 0) / d.length);
  };
  assert.ok(Math.abs(std("h.0.mlp.w1") - 0.02) < 0.003, `w1 std ${std("h.0.mlp.w1")}`);
  assert.ok(Math.abs(std("h.0.mlp.w2") - 0.01) < 0.002, `w2 std ${std("h.0.mlp.w2")}`);
  disposeParams(p);
});

test("SwiGLU width is 8d/3 rounded up to a multiple of 8", () => {
  for (const [d, f] of [[64, 176], [128, 344], [768, 2048], [4096, 10928]]) assert.equal(swigluHidden(d), f);
});

test("parameter count equals lib/estimates for both architectures at several sizes", () => {
  for (const arch of ["gpt2", "llama"] as const)
    for (const [nLayer, dModel, contextLength, vocabSize] of [[1, 8, 8, 17], [2, 16, 8, 300], [3, 48, 32, 2048]]) {
      const c = { arch, nLayer, nHead: 2, dModel, contextLength, vocabSize };
      const p = createParams(c, new Rng(1));
      const actual = [...p.values()].reduce((n, v) => n + v.size, 0);
      disposeParams(p);
      assert.equal(countParams(c), actual, `${arch} ${dModel}`);
      assert.equal(paramCount(c), actual, `lib/estimates, ${arch} ${dModel}`);
    }
  // The run form calls the estimates with a whole RunConfig plus the vocabulary.
  const run = RunConfig.parse({ name: "x", arch: "llama" });
  const p = createParams({ ...run, vocabSize: 2048 }, new Rng(1));
  assert.equal(paramCount({ ...run, vocabSize: 2048 }), [...p.values()].reduce((n, v) => n + v.size, 0));
  disposeParams(p);
  const shape = { nLayer: 2, dModel: 64, contextLength: 64, vocabSize: 2048 };
  assert.equal(flopsPerToken({ ...shape, arch: "llama" }) - flopsPerToken({ ...shape, arch: "gpt2" }),
    6 * (paramCount({ ...shape, arch: "llama" }) - paramCount({ ...shape, arch: "gpt2" })));
});

test("llama forward gives [B, T, V] logits, initial loss near ln V, works below the context length", () => {
  const p = createParams(cfg, new Rng(1));
  const x = tf.tensor2d(ids, [B, T], "int32");
  assert.deepEqual(forward(p, cfg, x).shape, [B, T, V]);
  const loss = lossFn(p, cfg, x, tf.tensor2d(targets, [B, T], "int32")).dataSync()[0];
  assert.ok(Math.abs(loss - Math.log(V)) < 0.1, `loss ${loss}`);
  assert.deepEqual(forward(p, cfg, tf.tensor2d(ids.slice(0, 3), [1, 3], "int32")).shape, [1, 3, V]);
  disposeParams(p);
});

/**
 * Plain-autodiff Llama from the textbook formulas, written independently of the model: RoPE by
 * split/concat (rotate_half), SiLU from sigmoid, softmax attention with transposed matMuls.
 */
function referenceLoss(p: Map<string, tf.Tensor>, x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  const C = cfg.dModel, H = cfg.nHead, hd = C / H;
  const rms = (h: tf.Tensor, g: string) => tf.mul(tf.div(h, tf.sqrt(tf.add(tf.mean(tf.square(h), -1, true), 1e-5))), p.get(g)!);
  const mm = (h: tf.Tensor, w: string) => tf.matMul(h as tf.Tensor2D, p.get(w)! as tf.Tensor2D);
  const pos = tf.reshape(tf.range(0, T), [T, 1]);
  const invFreq = tf.reshape(tf.pow(10000, tf.div(tf.mul(tf.range(0, hd / 2), -2), hd)), [1, hd / 2]);
  const angles = tf.concat([tf.mul(pos, invFreq), tf.mul(pos, invFreq)], 1); // [T, hd]
  const rot = (t: tf.Tensor) => {
    const [a, b] = tf.split(t, 2, -1);
    return tf.add(tf.mul(t, tf.cos(angles)), tf.mul(tf.concat([tf.neg(b), a], -1), tf.sin(angles)));
  };
  const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]); // [B, H, T, hd]
  const mask = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9);
  let h: tf.Tensor = tf.gather(p.get("wte")!, tf.reshape(x, [-1]));
  for (let l = 0; l < cfg.nLayer; l++) {
    const n = rms(h, `h.${l}.attn_norm.g`);
    const q = rot(heads(mm(n, `h.${l}.attn.wq`)));
    const k = rot(heads(mm(n, `h.${l}.attn.wk`)));
    const v = heads(mm(n, `h.${l}.attn.wv`));
    const att = tf.softmax(tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(hd)), mask));
    h = tf.add(h, mm(tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, C]), `h.${l}.attn.wo`));
    const m = rms(h, `h.${l}.mlp_norm.g`);
    const a = mm(m, `h.${l}.mlp.w1`);
    h = tf.add(h, mm(tf.mul(tf.mul(a, tf.sigmoid(a)), mm(m, `h.${l}.mlp.w3`)), `h.${l}.mlp.w2`));
  }
  const logits = tf.matMul(rms(h, "norm_f.g") as tf.Tensor2D, p.get("wte")! as tf.Tensor2D, false, true);
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(tf.reshape(y, [-1]), V), tf.logSoftmax(logits)), -1))) as tf.Scalar;
}

test("llama loss and gradients equal a plain-autodiff reference (RoPE, RMSNorm, SwiGLU gradients are right)", () => {
  const p = createParams(cfg, new Rng(6));
  // Large random weights (gains too) so that every term of every gradient matters.
  const r = new Rng(8);
  for (const v of p.values()) v.assign(tf.tensor(Array.from({ length: v.size }, () => r.normal() * 0.3 + (v.rank === 1 ? 1 : 0)), v.shape));
  const x = tf.tensor2d(ids, [B, T], "int32");
  const y = tf.tensor2d(targets, [B, T], "int32");
  const vars = [...p.values()];
  const ours = tf.variableGrads(() => lossFn(p, cfg, x, y), vars);
  const ref = tf.variableGrads(() => referenceLoss(p, x, y), vars);
  const lo = ours.value.dataSync()[0];
  const lr = ref.value.dataSync()[0];
  assert.ok(Math.abs(lo - lr) < 1e-4 * Math.max(1, lr), `loss ${lo} vs ${lr}`);
  for (const [name, v] of p) {
    const a = ours.grads[v.name].dataSync();
    const b = ref.grads[v.name].dataSync();
    const scale = Math.max(...Array.from(b, Math.abs));
    assert.ok(scale > 0, name);
    a.forEach((g, i) => assert.ok(Math.abs(g - b[i]) <= 1e-3 * scale + 1e-7, `${name}[${i}] ${g} vs ${b[i]}`));
  }
  disposeParams(p);
});

test("llama gradients on wasm are finite, non-zero and match the cpu backend", async () => {
  const grads = () => {
    const p = createParams(cfg, new Rng(4));
    const { value, grads } = tf.variableGrads(() => lossFn(p, cfg, tf.tensor2d(ids, [B, T], "int32"), tf.tensor2d(targets, [B, T], "int32")), [...p.values()]);
    const out = new Map([...p].map(([n, v]) => [n, Array.from(grads[v.name].dataSync())]));
    const loss = value.dataSync()[0];
    disposeParams(p);
    return { loss, out };
  };
  const wasm = grads();
  await tf.setBackend("cpu");
  const cpu = grads();
  await tf.setBackend("wasm");
  assert.ok(Math.abs(wasm.loss - cpu.loss) < 1e-4);
  for (const [name, g] of wasm.out) {
    assert.ok(g.every(Number.isFinite), name);
    assert.ok(g.some((x) => x !== 0), `${name} has an all-zero gradient`);
    const ref = cpu.out.get(name)!;
    const scale = Math.max(...ref.map(Math.abs));
    g.forEach((x, i) => assert.ok(Math.abs(x - ref[i]) <= 1e-3 * scale + 1e-7, `${name}[${i}] ${x} vs ${ref[i]}`));
  }
});

test("rotary embeddings: identity at position 0, norm-preserving, scores depend on relative position only", () => {
  const H = 2, hd = 8, C = H * hd, Tn = 6;
  const r = new Rng(11);
  const u = Array.from({ length: C }, () => r.normal());
  const w = Array.from({ length: C }, () => r.normal());
  // The same q vector u and k vector w at every position.
  const q = rope(tf.tensor2d(Array.from({ length: Tn }, () => u).flat(), [Tn, C]), 1, Tn, H).arraySync();
  const k = rope(tf.tensor2d(Array.from({ length: Tn }, () => w).flat(), [Tn, C]), 1, Tn, H).arraySync();
  q[0].forEach((v, i) => assert.equal(v, Math.fround(u[i])));
  const norm = (a: number[]) => Math.hypot(...a);
  for (let t = 0; t < Tn; t++) assert.ok(Math.abs(norm(q[t]) - norm(u)) < 1e-5);
  const score = (m: number, n: number, h: number) => q[m].slice(h * hd, (h + 1) * hd).reduce((s, v, i) => s + v * k[n][h * hd + i], 0);
  for (let h = 0; h < H; h++)
    for (let m = 0; m + 3 < Tn; m++) {
      assert.ok(Math.abs(score(m, m + 2, h) - score(m + 1, m + 3, h)) < 1e-4, `head ${h} offset 2 at ${m}`);
      assert.ok(Math.abs(score(m + 2, m, h) - score(m + 3, m + 1, h)) < 1e-4, `head ${h} offset -2 at ${m}`);
    }
  assert.ok(Math.abs(score(0, 1, 0) - score(0, 3, 0)) > 1e-3, "different offsets give different scores");
});
