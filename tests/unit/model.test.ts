import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { flopsPerToken, paramCount } from "../../lib/estimates";
import { Rng } from "../../lib/rng";
import { selectBackend } from "../../trainer/backend/backend";
import { countParams, createParams, crossEntropy, disposeParams, forward, lossFn } from "../../trainer/model/model";

await selectBackend("wasm");
// Not 256: the vocabulary comes from the config (the dataset's tokenizer), not a byte constant.
const VOCAB_SIZE = 300;
const cfg = { nLayer: 2, nHead: 2, dModel: 16, contextLength: 8, vocabSize: VOCAB_SIZE };
const B = 2;
const T = 8;
const rng = new Rng(5);
const ids = Array.from({ length: B * T }, () => rng.int(VOCAB_SIZE));
const targets = Array.from({ length: B * T }, () => rng.int(VOCAB_SIZE));

test("parameters: sorted names, GPT-2 shapes and init, count", () => {
  const p = createParams(cfg, new Rng(1));
  const names = [...p.keys()];
  assert.deepEqual(names, [...names].sort());
  assert.equal(names.length, 2 + 12 * cfg.nLayer + 2);
  assert.deepEqual(p.get("wte")!.shape, [VOCAB_SIZE, 16]);
  assert.deepEqual(p.get("h.1.attn.c_attn.w")!.shape, [16, 48]);
  assert.deepEqual(p.get("h.0.mlp.c_fc.w")!.shape, [16, 64]);
  assert.equal(countParams(cfg), [...p.values()].reduce((n, v) => n + v.size, 0));
  assert.equal(paramCount(cfg), countParams(cfg), "lib/estimates agrees with the model");
  assert.equal(paramCount({ ...cfg, vocabSize: 2048 }) - paramCount(cfg), (2048 - VOCAB_SIZE) * 16);
  assert.ok(flopsPerToken({ ...cfg, vocabSize: 2048 }) > flopsPerToken(cfg));
  const std = (name: string) => {
    const d = Array.from(p.get(name)!.dataSync());
    return Math.sqrt(d.reduce((s, x) => s + x * x, 0) / d.length);
  };
  assert.ok(Math.abs(std("wte") - 0.02) < 0.002, `wte std ${std("wte")}`);
  assert.ok(Math.abs(std("h.0.mlp.c_proj.w") - 0.02 / Math.sqrt(4)) < 0.002);
  assert.ok(p.get("h.0.attn.c_attn.b")!.dataSync().every((x) => x === 0));
  assert.ok(p.get("ln_f.g")!.dataSync().every((x) => x === 1));
  disposeParams(p);
});

test("same seed gives the same weights on wasm and cpu", async () => {
  const a = createParams(cfg, new Rng(9));
  const wasm = Array.from(a.get("h.1.mlp.c_fc.w")!.dataSync());
  disposeParams(a);
  await tf.setBackend("cpu");
  const b = createParams(cfg, new Rng(9));
  assert.deepEqual(Array.from(b.get("h.1.mlp.c_fc.w")!.dataSync()), wasm);
  disposeParams(b);
  await tf.setBackend("wasm");
});

test("forward gives [B, T, V] logits and initial loss near ln V", () => {
  const p = createParams(cfg, new Rng(1));
  const x = tf.tensor2d(ids, [B, T], "int32");
  const logits = forward(p, cfg, x);
  assert.deepEqual(logits.shape, [B, T, VOCAB_SIZE]);
  const loss = lossFn(p, cfg, x, tf.tensor2d(targets, [B, T], "int32")).dataSync()[0];
  assert.ok(Math.abs(loss - Math.log(VOCAB_SIZE)) < 0.1, `loss ${loss}`);
  // A shorter sequence than the context works too.
  assert.deepEqual(forward(p, cfg, tf.tensor2d(ids.slice(0, 3), [1, 3], "int32")).shape, [1, 3, VOCAB_SIZE]);
  disposeParams(p);
});

test("causal: changing token j changes no logits before j", () => {
  const p = createParams(cfg, new Rng(2));
  const j = 5;
  const changed = [...ids];
  changed[j] = (changed[j] + 1) % VOCAB_SIZE; // batch row 0
  const a = forward(p, cfg, tf.tensor2d(ids, [B, T], "int32")).arraySync();
  const b = forward(p, cfg, tf.tensor2d(changed, [B, T], "int32")).arraySync();
  for (let t = 0; t < j; t++) for (let v = 0; v < VOCAB_SIZE; v++) assert.ok(Math.abs(a[0][t][v] - b[0][t][v]) < 1e-6, `t=${t}`);
  const diff = (t: number) => Math.max(...a[0][t].map((x, v) => Math.abs(x - b[0][t][v])));
  for (let t = j; t < T; t++) assert.ok(diff(t) > 1e-4, `position ${t} should see token ${j}`);
  assert.deepEqual(a[1], b[1]); // the other batch row is untouched
  disposeParams(p);
});

test("every parameter gets a finite, non-zero gradient on wasm, close to cpu's", async () => {
  const grads = () => {
    const p = createParams(cfg, new Rng(4));
    const x = tf.tensor2d(ids, [B, T], "int32");
    const y = tf.tensor2d(targets, [B, T], "int32");
    const { value, grads } = tf.variableGrads(() => lossFn(p, cfg, x, y), [...p.values()]);
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

/** Plain-autodiff GPT with the same parameters, as an oracle for the model's custom gradients. */
function referenceLoss(p: Map<string, tf.Tensor>, x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  const C = cfg.dModel, H = cfg.nHead, hd = C / H;
  const ln = (h: tf.Tensor, pre: string) => {
    const { mean, variance } = tf.moments(h, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5))), p.get(pre + ".g")!), p.get(pre + ".b")!);
  };
  const lin = (h: tf.Tensor, pre: string) => tf.add(tf.matMul(h as tf.Tensor2D, p.get(pre + ".w")! as tf.Tensor2D), p.get(pre + ".b")!);
  const mask = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9);
  let h: tf.Tensor = tf.reshape(tf.add(tf.reshape(tf.gather(p.get("wte")!, tf.reshape(x, [-1])), [B, T, C]), tf.slice(p.get("wpe")!, [0, 0], [T, C])), [B * T, C]);
  for (let l = 0; l < cfg.nLayer; l++) {
    const [q, k, v] = tf.split(lin(ln(h, `h.${l}.ln_1`), `h.${l}.attn.c_attn`), 3, 1).map((t) => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]));
    const att = tf.softmax(tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(hd)), mask));
    const merged = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, C]);
    h = tf.add(h, lin(merged, `h.${l}.attn.c_proj`));
    const u = lin(ln(h, `h.${l}.ln_2`), `h.${l}.mlp.c_fc`);
    const g = tf.mul(tf.mul(u, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(u, tf.mul(0.044715, tf.pow(u, 3)))))));
    h = tf.add(h, lin(g, `h.${l}.mlp.c_proj`));
  }
  const logits = tf.matMul(ln(h, "ln_f") as tf.Tensor2D, p.get("wte")! as tf.Tensor2D, false, true);
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(tf.reshape(y, [-1]), VOCAB_SIZE), tf.logSoftmax(logits)), -1))) as tf.Scalar;
}

test("loss and gradients equal a plain-autodiff reference (custom gradients are right)", () => {
  const p = createParams(cfg, new Rng(6));
  // GPT-2 init keeps pre-activations tiny, where GELU is nearly linear; larger random weights make
  // every term of every gradient matter.
  const r = new Rng(8);
  for (const v of p.values()) v.assign(tf.tensor(Array.from({ length: v.size }, () => r.normal() * 0.3), v.shape));
  const x = tf.tensor2d(ids, [B, T], "int32");
  const y = tf.tensor2d(targets, [B, T], "int32");
  const vars = [...p.values()];
  const ours = tf.variableGrads(() => lossFn(p, cfg, x, y), vars);
  const ref = tf.variableGrads(() => referenceLoss(p, x, y), vars);
  assert.ok(Math.abs(ours.value.dataSync()[0] - ref.value.dataSync()[0]) < 1e-5);
  for (const [name, v] of p) {
    const a = ours.grads[v.name].dataSync();
    const b = ref.grads[v.name].dataSync();
    const scale = Math.max(...Array.from(b, Math.abs));
    assert.ok(scale > 0, name);
    a.forEach((g, i) => assert.ok(Math.abs(g - b[i]) <= 1e-3 * scale + 1e-7, `${name}[${i}] ${g} vs ${b[i]}`));
  }
  disposeParams(p);
});

test("cross-entropy without one-hots equals log-softmax autodiff at a large vocabulary", () => {
  const N = 24;
  const V = 5000;
  const z = tf.variable(tf.randomNormal<tf.Rank.R2>([N, V], 0, 3, "float32", 4));
  const y = tf.tensor1d(Array.from({ length: N }, (_, i) => (i * 997 + 13) % V), "int32");
  const ours = tf.variableGrads(() => crossEntropy(z, y), [z]);
  const ref = tf.variableGrads(() => tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(y, V), tf.logSoftmax(z)), -1))) as tf.Scalar, [z]);
  assert.ok(Math.abs(ours.value.dataSync()[0] - ref.value.dataSync()[0]) < 1e-5);
  const a = ours.grads[z.name].dataSync();
  const b = ref.grads[z.name].dataSync();
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst < 1e-7, `max gradient difference ${worst}`);
  // The target entries carry the -1/N: their gradients are negative, every other one positive.
  const yd = y.dataSync();
  for (let n = 0; n < N; n++) assert.ok(a[n * V + yd[n]] < 0 && a[n * V + ((yd[n] + 1) % V)] > 0);
  z.dispose();
});
