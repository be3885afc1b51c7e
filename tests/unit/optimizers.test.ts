import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { RunConfig } from "../../lib/run-config";
import { selectBackend } from "../../trainer/backend/backend";
import { Adafactor, AdamW, createOptimizer, Lion, LION_BETA2, type NamedOptimizer } from "../../trainer/optimizers";

await selectBackend("wasm");

type Mat = number[][];
const W0: Mat = [[0.5, -1, 0.3], [2, 0.25, -0.7]];
const B0 = [1, -2, 0.4];
const GW: Mat[] = [[[0.1, -0.2, 0.05], [0.3, 0.05, -0.6]], [[-0.4, 0.1, 0.2], [0.2, 0.2, -0.1]]];
const GB = [[0.5, -0.5, 0.02], [0.25, 1, -0.3]];
const LRS = [0.1, 0.05];

const params = () =>
  new Map<string, tf.Variable>([
    ["b", tf.variable(tf.tensor1d(B0))],
    ["w", tf.variable(tf.tensor2d(W0))],
  ]);

/** Two steps with gradients keyed by engine variable name, as tf.variableGrads gives them. */
function twoSteps(opt: NamedOptimizer, ps: Map<string, tf.Variable>, lrs = LRS) {
  for (let s = 0; s < 2; s++) {
    opt.learningRate = lrs[s];
    tf.tidy(() => opt.applyGradients({ [ps.get("w")!.name]: tf.tensor2d(GW[s]), [ps.get("b")!.name]: tf.tensor1d(GB[s]) }));
  }
  return { w: ps.get("w")!.arraySync() as Mat, b: ps.get("b")!.arraySync() as number[] };
}

function assertClose(got: number[] | Mat, want: number[] | Mat, tol: number, what: string) {
  const g = got.flat();
  const w = want.flat();
  assert.equal(g.length, w.length);
  g.forEach((x, i) => assert.ok(Math.abs(x - w[i]) <= tol, `${what}[${i}]: ${x} vs ${w[i]} (float64)`));
}

const map2 = (a: Mat, f: (x: number, i: number, j: number) => number): Mat => a.map((row, i) => row.map((x, j) => f(x, i, j)));
const rmsOf = (xs: number[]) => Math.sqrt(xs.reduce((n, x) => n + x * x, 0) / xs.length);

test("AdamW: two steps match float64 by hand; decay on the matrix only", () => {
  const o = { beta1: 0.9, beta2: 0.95, weightDecay: 0.5, eps: 1e-8 };
  const ref = (p0: number, gs: number[], decay: boolean) => {
    let p = p0, m = 0, v = 0;
    gs.forEach((g, i) => {
      const t = i + 1;
      if (decay) p -= LRS[i] * o.weightDecay * p;
      m = o.beta1 * m + (1 - o.beta1) * g;
      v = o.beta2 * v + (1 - o.beta2) * g * g;
      p -= (LRS[i] * (m / (1 - o.beta1 ** t))) / (Math.sqrt(v / (1 - o.beta2 ** t)) + o.eps);
    });
    return p;
  };
  const ps = params();
  const opt = new AdamW(ps, o);
  const got = twoSteps(opt, ps);
  assertClose(got.w, map2(W0, (x, i, j) => ref(x, GW.map((g) => g[i][j]), true)), 1e-6, "w");
  assertClose(got.b, B0.map((x, j) => ref(x, GB.map((g) => g[j]), false)), 1e-6, "b");
  assert.ok(Math.abs(got.b[0] - ref(B0[0], GB.map((g) => g[0]), true)) > 1e-3, "a decayed bias would differ");
  assert.equal(opt.iterations, 2);
  assert.equal(opt.getClassName(), "AdamW");
  assert.deepEqual(opt.getConfig(), { learningRate: 0.05, ...o });
});

test("Lion: two steps match float64 by hand; each element moves by exactly lr (plus decay on the matrix)", () => {
  const o = { beta1: 0.9, beta2: 0.99, weightDecay: 0.5 };
  const ref = (p0: number, gs: number[], decay: boolean) => {
    let p = p0, m = 0;
    gs.forEach((g, i) => {
      const c = o.beta1 * m + (1 - o.beta1) * g;
      if (decay) p -= LRS[i] * o.weightDecay * p;
      p -= LRS[i] * Math.sign(c);
      m = o.beta2 * m + (1 - o.beta2) * g;
    });
    return p;
  };
  const ps = params();
  const got = twoSteps(new Lion(ps, o), ps);
  assertClose(got.w, map2(W0, (x, i, j) => ref(x, GW.map((g) => g[i][j]), true)), 1e-6, "w");
  assertClose(got.b, B0.map((x, j) => ref(x, GB.map((g) => g[j]), false)), 1e-6, "b");
  // b[2]: g = 0.02 then −0.3; c2 = 0.9·0.0002 − 0.03 < 0, so the sign flips and b[2] returns by 0.1 − 0.05.
  assert.ok(Math.abs(got.b[2] - (0.4 - 0.1 + 0.05)) < 1e-6);
});

/** Adafactor in float64 on a matrix (factored) or a vector, two steps. */
function adafactorRef(p0: number[] | Mat, gs: (number[] | Mat)[], o: { relative: boolean; wd: number; beta1: number }) {
  const isMat = Array.isArray(p0[0]);
  const asMat = (x: number[] | Mat): Mat => (isMat ? (x as Mat) : [x as number[]]);
  let p = asMat(p0).map((r) => [...r]);
  const R = p.length, C = p[0].length;
  let vr = new Array(R).fill(0), vc = new Array(C).fill(0);
  let v: Mat = map2(p, () => 0), m: Mat = map2(p, () => 0);
  gs.forEach((gRaw, i) => {
    const t = i + 1;
    const g = asMat(gRaw);
    const b2 = 1 - t ** -0.8;
    const G = map2(g, (x) => x * x + 1e-30);
    let u: Mat;
    if (isMat) {
      vr = vr.map((x, r) => b2 * x + (1 - b2) * (G[r].reduce((a, b) => a + b, 0) / C));
      vc = vc.map((x, c) => b2 * x + (1 - b2) * (G.reduce((a, row) => a + row[c], 0) / R));
      const meanR = vr.reduce((a, b) => a + b, 0) / R;
      u = map2(g, (x, r, c) => x / Math.sqrt((vr[r] * vc[c]) / meanR));
    } else {
      v = map2(v, (x, r, c) => b2 * x + (1 - b2) * G[r][c]);
      u = map2(g, (x, r, c) => x / Math.sqrt(v[r][c]));
    }
    const clip = Math.max(1, rmsOf(u.flat()) / 1);
    const alpha = o.relative ? Math.min(1e-2, 1 / Math.sqrt(t)) * Math.max(1e-3, rmsOf(p.flat())) : LRS[i];
    let step = map2(u, (x) => (x / clip) * alpha);
    if (o.beta1 > 0) {
      m = map2(m, (x, r, c) => o.beta1 * x + (1 - o.beta1) * step[r][c]);
      step = m;
    }
    const decay = isMat ? o.wd : 0;
    p = map2(p, (x, r, c) => x - alpha * decay * x - step[r][c]);
  });
  return isMat ? p : p[0];
}

for (const o of [
  { relative: false, wd: 0.5, beta1: 0 },
  { relative: true, wd: 0.5, beta1: 0 },
  { relative: false, wd: 0, beta1: 0.9 },
]) {
  test(`Adafactor (relativeStep ${o.relative}, wd ${o.wd}, β1 ${o.beta1}): two steps match float64 by hand`, () => {
    const ps = params();
    const opt = new Adafactor(ps, { relativeStep: o.relative, weightDecay: o.wd, beta1: o.beta1 });
    const got = twoSteps(opt, ps);
    const tol = o.relative ? 1e-7 : 1e-6;
    assertClose(got.w, adafactorRef(W0, GW, o) as Mat, tol, "w");
    assertClose(got.b, adafactorRef(B0, GB, o) as number[], tol, "b");
  });
}

test("Adafactor's relative step floors the parameter scale at eps2, so a zero-initialised bias still moves", () => {
  const z = new Map([["z", tf.variable(tf.zeros([4]))]]);
  const opt = new Adafactor(z, { relativeStep: true, weightDecay: 0 });
  tf.tidy(() => opt.applyGradients({ [z.get("z")!.name]: tf.tensor1d([2, -3, 0.5, -1e-3]) }));
  // t = 1: u = g/|g| (RMS 1, not clipped), α = min(1e-2, 1)·max(1e-3, 0) = 1e-5.
  assertClose(Array.from(z.get("z")!.dataSync()), [-1e-5, 1e-5, -1e-5, 1e-5], 1e-12, "z");
});

test("Adafactor keeps row and column factors for matrices and a full second moment for vectors only", async () => {
  const ps = params();
  const shapes = async (opt: NamedOptimizer) => {
    const [iter, ...slots] = await opt.getWeights();
    iter.tensor.dispose();
    return Object.fromEntries(slots.map((s) => [s.name, s.tensor.shape]));
  };
  assert.deepEqual(await shapes(new Adafactor(ps, { relativeStep: false, weightDecay: 0 })), { "v.b": [3], "vc.w": [3], "vr.w": [2] });
  assert.deepEqual(Object.keys(await shapes(new Adafactor(ps, { relativeStep: false, weightDecay: 0, beta1: 0.9 }))).sort(), ["m.b", "m.w", "v.b", "vc.w", "vr.w"]);
  assert.deepEqual(Object.keys(await shapes(new AdamW(ps, { beta1: 0.9, beta2: 0.95, weightDecay: 0 }))), ["m.b", "m.w", "v.b", "v.w"]);
  assert.deepEqual(Object.keys(await shapes(new Lion(ps, { beta1: 0.9, beta2: 0.99, weightDecay: 0 }))), ["m.b", "m.w"]);
});

const kinds: [string, (ps: Map<string, tf.Variable>) => NamedOptimizer][] = [
  ["adamw", (ps) => new AdamW(ps, { beta1: 0.9, beta2: 0.95, weightDecay: 0.1 })],
  ["lion", (ps) => new Lion(ps, { beta1: 0.9, beta2: 0.99, weightDecay: 0.3 })],
  ["adafactor", (ps) => new Adafactor(ps, { relativeStep: true, weightDecay: 0.1 })],
];

for (const [kind, make] of kinds) {
  test(`${kind}: getWeights → host copy → setWeights into a new model continues bit-identically`, async () => {
    const pa = params();
    const a = make(pa);
    twoSteps(a, pa);
    const saved = (await a.getWeights()).map((w) => ({ name: w.name, shape: w.tensor.shape, data: w.tensor.dataSync().slice() }));
    assert.equal(saved[0].name, "iter");
    const pb = params();
    for (const [name, p] of pb) p.assign(pa.get(name)!);
    const b = make(pb);
    const restored = saved.map((s) => ({ name: s.name, tensor: tf.tensor(s.data, s.shape, s.name === "iter" ? "int32" : "float32") }));
    await b.setWeights(restored);
    tf.dispose(restored.map((r) => r.tensor)); // setWeights copied them
    assert.equal(b.iterations, 2);
    twoSteps(a, pa, [0.01, 0.02]);
    twoSteps(b, pb, [0.01, 0.02]);
    for (const name of ["w", "b"]) assert.deepEqual(pb.get(name)!.dataSync(), pa.get(name)!.dataSync(), name);
    const after = await b.getWeights();
    assert.equal(after[0].tensor.dataSync()[0], 4);
    a.dispose();
    b.dispose();
  });
}

test("setWeights refuses another optimizer's state, a missing slot or a wrong shape, naming it", async () => {
  const ps = params();
  const lion = new Lion(ps, { beta1: 0.9, beta2: 0.99, weightDecay: 0 });
  const adamw = new AdamW(ps, { beta1: 0.9, beta2: 0.95, weightDecay: 0 });
  await assert.rejects(adamw.setWeights(await lion.getWeights()), /lacks v\.b, which AdamW needs; was it written by another optimizer/);
  await assert.rejects(lion.setWeights(await adamw.getWeights()), /has v\.b, which Lion does not keep/);
  const [iter, mb, mw] = await lion.getWeights();
  await assert.rejects(lion.setWeights([mb, mw]), /must start with the iteration count "iter"/);
  await assert.rejects(lion.setWeights([iter, mb, { name: "m.w", tensor: tf.zeros([3, 2]) }]), /m\.w has shape \[3,2\], Lion needs \[2,3\]/);
});

test("a parameter without a gradient is left alone; a gradient for an unknown variable is an error", () => {
  const ps = params();
  const opt = new AdamW(ps, { beta1: 0.9, beta2: 0.95, weightDecay: 0.5 });
  opt.learningRate = 0.1;
  tf.tidy(() => opt.applyGradients([{ name: ps.get("w")!.name, tensor: tf.ones([2, 3]) }]));
  assert.deepEqual(Array.from(ps.get("b")!.dataSync()), Array.from(Float32Array.from(B0)));
  assert.notDeepEqual(ps.get("w")!.arraySync(), W0);
  assert.throws(() => tf.tidy(() => opt.applyGradients({ nope: tf.ones([3]) })), /gradient for nope, which it does not optimise/);
});

test("createOptimizer: the run config picks the class; Lion keeps β2 = 0.99 whatever beta2 says", () => {
  const ps = params();
  const make = (optimizer: string, over = {}) => createOptimizer(RunConfig.parse({ name: "o", optimizer, ...over }), ps);
  assert.ok(make("adamw") instanceof AdamW);
  assert.equal(make("adamw").getConfig().beta2, 0.95);
  const lion = make("lion", { beta2: 0.9, beta1: 0.95 });
  assert.ok(lion instanceof Lion);
  assert.deepEqual([lion.getConfig().beta1, lion.getConfig().beta2], [0.95, LION_BETA2]);
  const ada = make("adafactor", { adafactorRelativeStep: true });
  assert.ok(ada instanceof Adafactor);
  assert.deepEqual([ada.getConfig().relativeStep, ada.getConfig().beta1], [true, 0]);
});
