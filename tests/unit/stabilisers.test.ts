// Training stabilisers at the op and model level: z-loss, QK-norm, logit soft-capping. Each test
// checks the effect (values, bounds, gradients against finite differences), not only that it runs.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { applies } from "../../lib/config-view";
import { paramCount } from "../../lib/estimates";
import { Rng } from "../../lib/rng";
import { RunConfig } from "../../lib/run-config";
import { selectBackend } from "../../trainer/backend/backend";
import { objectivePass } from "../../trainer/loop/accumulate";
import { countParams, createParams, disposeParams, forward, type ModelConfig, type Params } from "../../trainer/model/model";
import { objectiveLoss, objectiveTerms } from "../../trainer/model/objectives";
import { checkQkNormWeights, logPartition, meanLogZSquared, qkNormalise, softCap } from "../../trainer/model/stabilisers";

await selectBackend("wasm");
const V = 40;
const B = 2;
const T = 8;
const base: ModelConfig = { nLayer: 2, nHead: 2, dModel: 16, contextLength: T, vocabSize: V };
const rng = new Rng(3);
const x = Int32Array.from({ length: B * T }, () => rng.int(V));
const y = Int32Array.from({ length: B * T }, () => rng.int(V));
const batch = { x, y, B, T };

const randn = (shape: number[], scale: number, seed: number) => {
  const r = new Rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal() * scale), shape);
};

/** Central difference of f at entry i of `v`, restoring it afterwards. */
function finiteDiff(v: tf.Variable, i: number, f: () => number, eps: number): number {
  const data = v.dataSync().slice() as Float32Array;
  const at = (delta: number) => {
    const d = data.slice();
    d[i] += delta;
    tf.tidy(() => v.assign(tf.tensor(d, v.shape)));
    return f();
  };
  const up = at(eps);
  const down = at(-eps);
  tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
  return (up - down) / (2 * eps);
}

/** A few entries of the gradient of `param` under `loss`, analytic and finite-difference. */
function compareGrad(params: Params, name: string, loss: () => tf.Scalar, entries: number[], eps = 1e-2) {
  const v = params.get(name)!;
  const { grads } = tf.variableGrads(loss, [v]);
  const g = grads[v.name].dataSync();
  tf.dispose(Object.values(grads));
  const value = () => tf.tidy(() => loss().dataSync()[0]);
  return entries.map((i) => ({ analytic: g[i], numeric: finiteDiff(v, i, value, eps) }));
}

function assertClose(pairs: { analytic: number; numeric: number }[], what: string, rel = 2e-2, abs = 2e-4) {
  for (const { analytic, numeric } of pairs)
    assert.ok(Math.abs(analytic - numeric) <= abs + rel * Math.abs(numeric), `${what}: analytic ${analytic}, finite difference ${numeric}`);
  assert.ok(pairs.some((p) => Math.abs(p.numeric) > 10 * abs), `${what}: some gradient entries are not ~0 (${pairs.map((p) => p.numeric)})`);
}

test("z term: mean(log Z^2) equals logsumexp squared, and its gradient matches finite differences", () => {
  const z = tf.variable(randn([5, V], 3, 1) as tf.Tensor2D, true, "stab/z");
  const lse = logPartition(z).dataSync() as Float32Array;
  const expected = lse.reduce((s, l) => s + l * l, 0) / lse.length;
  const value = tf.tidy(() => meanLogZSquared(z).dataSync()[0]);
  assert.ok(Math.abs(value - expected) < 1e-4 * expected, `${value} vs ${expected}`);
  const pairs = compareGrad(new Map([["z", z]]), "z", () => meanLogZSquared(z), [0, 7, 41, 123, 199], 1e-2);
  assertClose(pairs, "d mean(log Z^2) / dz");
  z.dispose();
});

for (const objective of ["clm", "prefix", "mlm"] as const)
  test(`z-loss (${objective}): the training pass's gradient is that of ce + zLoss * mean(log Z^2) (finite differences); loss stays the cross-entropy`, () => {
    const zLoss = 0.5;
    const cfg: ModelConfig = { ...base, objective, zLoss };
    const params = createParams(cfg, new Rng(2));
    const passRng = new Rng(9);
    const state = passRng.getState();
    const pass = objectivePass(params, cfg, T, passRng, V - 1);
    const out = tf.tidy(() => {
      const { value, grads, z } = pass(batch, B);
      return { value, z: z!, g: grads[params.get("wte")!.name] };
    });
    // The same masks as the pass drew (mlm): each evaluation restarts the rng at the same state.
    const termsAt = () => {
      const r = new Rng(0);
      r.setState(state);
      return objectiveTerms(params, cfg, batch, r, V - 1);
    };
    const ref = tf.tidy(() => {
      const { ce, logZ2 } = termsAt();
      return [ce.dataSync()[0], logZ2.dataSync()[0]];
    });
    assert.equal(out.value.dataSync()[0], ref[0], "value is the cross-entropy alone");
    assert.ok(Math.abs(out.z.dataSync()[0] - zLoss * ref[1]) < 1e-6, "z is zLoss * mean(log Z^2)");
    if (objective !== "mlm") assert.equal(out.value.dataSync()[0], tf.tidy(() => objectiveLoss(params, cfg, batch).dataSync()[0]), "objectiveLoss is unchanged");
    const total = () => {
      const { ce, logZ2 } = termsAt();
      return tf.add(ce, tf.mul(logZ2, zLoss)) as tf.Scalar;
    };
    const g = out.g.dataSync();
    const entries = [3, 17, 100, 250, 333];
    const numeric = entries.map((i) => finiteDiff(params.get("wte")!, i, () => tf.tidy(() => total().dataSync()[0]), 1e-2));
    assertClose(entries.map((i, k) => ({ analytic: g[i], numeric: numeric[k] })), `${objective} d(ce + z)/d wte`);
    // The z term moves the gradient: without it the same entries differ.
    const plain = tf.tidy(() => {
      const r = new Rng(0);
      r.setState(state);
      const { grads } = objectivePass(params, { ...cfg, zLoss: 0 }, T, r, V - 1)(batch, B);
      return grads[params.get("wte")!.name].dataSync();
    });
    assert.ok(entries.some((i) => Math.abs(plain[i] - g[i]) > 1e-4), "zLoss changes the gradient");
    tf.dispose([out.value, out.z, out.g]);
    disposeParams(params);
  });

test("QK-norm helper: each head of q/k comes out with RMS equal to its gain, whatever the input's scale (LayerNorm and RMSNorm)", () => {
  const H = 3;
  const hd = 4;
  for (const kind of ["layernorm", "rmsnorm"] as const) {
    const q = tf.add(randn([6, H * hd], 7, 4), 2) as tf.Tensor2D; // scaled and shifted
    for (const gain of [1, 0.3, 2.5]) {
      const out = tf.tidy(() => qkNormalise(q, tf.fill([hd], gain), H, kind).arraySync() as number[][]);
      for (const row of out)
        for (let h = 0; h < H; h++) {
          const head = row.slice(h * hd, (h + 1) * hd);
          const rms = Math.sqrt(head.reduce((s, v) => s + v * v, 0) / hd);
          assert.ok(Math.abs(rms - gain) < 1e-3 * Math.max(1, gain), `${kind} gain ${gain}: head RMS ${rms}`);
          if (kind === "layernorm") assert.ok(Math.abs(head.reduce((s, v) => s + v, 0)) < 1e-4, "LayerNorm centres each head");
        }
    }
    // A gain per dimension scales that dimension: y_i / g_i has RMS 1.
    const g = tf.tensor1d([0.5, 1, 2, 3]);
    const out = tf.tidy(() => tf.div(tf.reshape(qkNormalise(q, g, H, kind), [6 * H, hd]), g).arraySync() as number[][]);
    for (const head of out) assert.ok(Math.abs(Math.sqrt(head.reduce((s, v) => s + v * v, 0) / hd) - 1) < 1e-3);
    tf.dispose([q, g]);
  }
});

for (const arch of ["gpt2", "llama"] as const)
  test(`QK-norm (${arch}): gains exist and count, the scores ignore the scale of q, and gradients reach the gains (finite differences, with and without checkpointing)`, () => {
    const cfg: ModelConfig = { ...base, arch, qkNorm: true };
    let params = createParams(cfg, new Rng(2));
    const hd = cfg.dModel / cfg.nHead;
    for (const l of [0, 1])
      for (const n of ["q_norm", "k_norm"]) assert.deepEqual(params.get(`h.${l}.attn.${n}.g`)?.shape, [hd], `h.${l}.attn.${n}.g`);
    assert.equal(countParams(cfg), countParams({ ...cfg, qkNorm: false }) + 2 * 2 * hd);
    assert.equal(paramCount({ ...cfg }), countParams(cfg), "lib/estimates counts the gains");
    // Off, the model draws the same weights as before: the gains are ones and draw nothing.
    const plain = createParams({ ...cfg, qkNorm: false }, new Rng(2));
    for (const [name, v] of plain) assert.deepEqual(params.get(name)!.dataSync(), v.dataSync(), name);
    // Weights 10x their init, so that attention is far from uniform and the scores matter.
    for (const p of [params, plain]) for (const [name, v] of p) if (/\.(w|w[qkvo]|w[123])$/.test(name)) tf.tidy(() => v.assign(tf.mul(v, 10)));

    // Scaling q's projection (and gpt2's q bias) by 10 changes nothing under QK-norm, and the logits without it.
    const scaleQ = (p: Params, k: number) => {
      if (arch === "llama") return tf.tidy(() => p.get("h.0.attn.wq")!.assign(tf.mul(p.get("h.0.attn.wq")!, k)));
      tf.tidy(() => {
        const C = cfg.dModel;
        const w = p.get("h.0.attn.c_attn.w")!;
        const b = p.get("h.0.attn.c_attn.b")!;
        const colScale = tf.concat([tf.fill([C], k), tf.ones([2 * C])]);
        w.assign(tf.mul(w, colScale));
        b.assign(tf.mul(b, colScale));
      });
    };
    const idx = tf.tensor2d(x, [B, T], "int32");
    const logits = (p: Params, c: ModelConfig) => tf.tidy(() => forward(p, c, idx).dataSync() as Float32Array);
    const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    const [withNorm, without] = [logits(params, cfg), logits(plain, { ...cfg, qkNorm: false })];
    scaleQ(params, 10);
    scaleQ(plain, 10);
    const [normed, unnormed] = [maxDiff(withNorm, logits(params, cfg)), maxDiff(without, logits(plain, { ...cfg, qkNorm: false }))];
    assert.ok(normed < 1e-3, `QK-norm: q's scale does not reach the scores (logits moved ${normed})`);
    assert.ok(unnormed > 1e-2, `without QK-norm: it does (logits moved ${unnormed})`);
    disposeParams(plain);
    disposeParams(params);

    // Fresh weights at 3x their init and non-uniform gains, so the gains matter; their gradients against finite differences.
    params = createParams(cfg, new Rng(2));
    let seed = 20;
    for (const [name, v] of params) {
      if (/\.(w|w[qkvo]|w[123])$/.test(name)) tf.tidy(() => v.assign(tf.mul(v, 3)));
      if (/attn\.[qk]_norm\.g$/.test(name)) tf.tidy(() => v.assign(tf.add(1, randn([hd], 0.5, seed++))));
    }
    const loss = (c: ModelConfig) => () => objectiveLoss(params, c, batch);
    for (const name of ["h.0.attn.q_norm.g", "h.1.attn.k_norm.g"]) {
      assertClose(compareGrad(params, name, loss(cfg), [0, 1, 2, 3, 4, 5, 6, 7]), `${arch} ${name}`, 3e-2, 5e-5);
      const g = (c: ModelConfig) => tf.tidy(() => {
        const { grads } = tf.variableGrads(loss(c), [params.get(name)!]);
        return Object.values(grads)[0].dataSync() as Float32Array;
      });
      const [plainG, ckptG] = [g(cfg), g({ ...cfg, gradientCheckpointing: true })];
      assert.ok(maxDiff(plainG, ckptG) < 1e-6 && plainG.some((v) => v !== 0), `${name}: gradient checkpointing gives the same gain gradient`);
    }
    idx.dispose();
    disposeParams(params);
  });

test("soft-cap op: |y| <= cap always, y ~ x when |x| << cap, gradient matches finite differences", () => {
  const cap = 5;
  const big = randn([4, 50], 100, 6) as tf.Tensor2D;
  const capped = tf.tidy(() => softCap(big, cap).dataSync() as Float32Array);
  assert.ok(capped.every((v) => Math.abs(v) <= cap), `max |y| ${Math.max(...capped.map(Math.abs))}`);
  assert.ok(capped.some((v) => Math.abs(v) > 0.99 * cap), "large inputs approach the cap");
  const small = randn([4, 50], 0.05, 7) as tf.Tensor2D;
  const s = small.dataSync();
  const out = tf.tidy(() => softCap(small, cap).dataSync() as Float32Array);
  // tanh(u) = u - u^3/3: the relative change at |x| <= 0.2, cap 5 is below 0.06%.
  out.forEach((v, i) => assert.ok(Math.abs(v - s[i]) <= 1e-3 * Math.abs(s[i]) + 1e-7, `${v} vs ${s[i]}`));
  const v = tf.variable(randn([3, 10], 6, 8) as tf.Tensor2D, true, "stab/cap");
  const w = randn([3, 10], 1, 9);
  const pairs = compareGrad(new Map([["v", v]]), "v", () => tf.sum(tf.mul(softCap(v as unknown as tf.Tensor2D, cap), w)) as tf.Scalar, [0, 4, 11, 19, 27], 1e-2);
  assertClose(pairs, "d softCap / dx");
  tf.dispose([big, small, v, w]);
});

test("soft-cap in the model: forward's logits stay within the cap, the loss is the capped logits' cross-entropy, and gradients match finite differences", () => {
  const cap = 0.05; // far below the logits of this model once its weights are scaled up
  const cfg: ModelConfig = { ...base, logitSoftCap: cap };
  const params = createParams(cfg, new Rng(2));
  tf.tidy(() => params.get("wte")!.assign(tf.mul(params.get("wte")!, 50)));
  const idx = tf.tensor2d(x, [B, T], "int32");
  const raw = tf.tidy(() => forward(params, { ...cfg, logitSoftCap: null }, idx).dataSync() as Float32Array);
  const capped = tf.tidy(() => forward(params, cfg, idx).dataSync() as Float32Array);
  assert.ok(Math.max(...raw.map(Math.abs)) > 10 * cap, "the uncapped logits exceed the cap");
  // The bound is the cap as float32 stores it.
  assert.ok(capped.every((v) => Math.abs(v) <= Math.fround(cap)), `max |logit| ${Math.max(...capped.map(Math.abs))}`);
  capped.forEach((v, i) => assert.ok(Math.abs(v - cap * Math.tanh(raw[i] / cap)) < 1e-5, `logit ${i}`));
  // A cap far above the logits leaves them as they are.
  const wide = tf.tidy(() => forward(params, { ...cfg, logitSoftCap: 1e4 }, idx).dataSync() as Float32Array);
  wide.forEach((v, i) => assert.ok(Math.abs(v - raw[i]) <= 1e-4 * Math.abs(raw[i]) + 1e-5));
  // Capped logits this small give a loss near ln V whatever the weights.
  const loss = tf.tidy(() => objectiveLoss(params, cfg, batch).dataSync()[0]);
  assert.ok(Math.abs(loss - Math.log(V)) < 2 * cap, `capped loss ${loss} vs ln V ${Math.log(V)}`);
  assertClose(compareGrad(params, "ln_f.g", () => objectiveLoss(params, { ...cfg, logitSoftCap: 3 }, batch), [0, 5, 9, 14]), "soft-capped d loss / d ln_f.g", 3e-2, 1e-4);
  idx.dispose();
  disposeParams(params);
});

test("attention soft-cap: a tiny cap makes attention uniform (q's scale stops mattering), a wide one changes nothing, and gradients match finite differences", () => {
  const cfg: ModelConfig = { ...base, arch: "llama" };
  const params = createParams(cfg, new Rng(2));
  for (const [name, v] of params) if (/\.w[qkvo123]$/.test(name)) tf.tidy(() => v.assign(tf.mul(v, 10)));
  const idx = tf.tensor2d(x, [B, T], "int32");
  const logits = (c: ModelConfig) => tf.tidy(() => forward(params, c, idx).dataSync() as Float32Array);
  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  const tiny = { ...cfg, attnSoftCap: 1e-4 };
  const before = { raw: logits(cfg), tiny: logits(tiny), wide: logits({ ...cfg, attnSoftCap: 1e6 }) };
  assert.ok(maxDiff(before.raw, before.wide) < 1e-4, "a cap far above the scores leaves the model as it is");
  assert.ok(maxDiff(before.raw, before.tiny) > 1e-2, "a tiny cap changes the model");
  tf.tidy(() => params.get("h.0.attn.wq")!.assign(tf.mul(params.get("h.0.attn.wq")!, 10)));
  assert.ok(maxDiff(before.tiny, logits(tiny)) < 1e-3, "under a tiny cap every score is ~0: q's scale does not matter");
  assert.ok(maxDiff(before.raw, logits(cfg)) > 1e-2, "without the cap it does");
  tf.tidy(() => params.get("h.0.attn.wq")!.assign(tf.mul(params.get("h.0.attn.wq")!, 0.1)));
  const capped = { ...cfg, attnSoftCap: 0.5 };
  assertClose(compareGrad(params, "h.0.attn.wq", () => objectiveLoss(params, capped, batch), [0, 9, 37, 100, 201]), "attention soft-capped d loss / d wq", 3e-2, 5e-5);
  idx.dispose();
  disposeParams(params);
});

test("checkpoint weights with and without QK-norm gains are refused by a model of the other kind, with the reason", () => {
  const withGains = ["wte", "h.0.attn.q_norm.g", "h.0.attn.k_norm.g"];
  const without = ["wte", "h.0.attn.wq"];
  assert.throws(() => checkQkNormWeights(withGains, without), /trained with qkNorm on .* this run has qkNorm off/);
  assert.throws(() => checkQkNormWeights(without, withGains), /trained without qkNorm .* this run has qkNorm on/);
  checkQkNormWeights(withGains, withGains);
  checkQkNormWeights(without, without);
});

test("run config: stabiliser fields, their bounds, and the config table shows them only when on", () => {
  const c = RunConfig.parse({ name: "s" });
  assert.deepEqual([c.zLoss, c.qkNorm, c.logitSoftCap, c.attnSoftCap], [0, false, null, null]);
  const keys = ["zLoss", "qkNorm", "logitSoftCap", "attnSoftCap"] as const;
  assert.ok(keys.every((k) => !applies(c, k)));
  const on = RunConfig.parse({ name: "s", zLoss: 1e-4, qkNorm: true, logitSoftCap: 30, attnSoftCap: 50 });
  assert.ok(keys.every((k) => applies(on, k)));
  for (const bad of [{ zLoss: -1 }, { logitSoftCap: 0 }, { logitSoftCap: -3 }, { attnSoftCap: 0 }, { attnSoftCap: "50" }, { qkNorm: "yes" }, { zLoss: null }])
    assert.equal(RunConfig.safeParse({ name: "s", ...bad }).success, false, JSON.stringify(bad));
});
