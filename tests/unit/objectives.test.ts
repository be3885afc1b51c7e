import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/rng";
import { selectBackend } from "../../trainer/backend/backend";
import { prefixLength } from "../../trainer/model/attention";
import { createParams, disposeParams, forward, lossFn, type ModelConfig, type Objective, type Params } from "../../trainer/model/model";
import { mlmCorrupt, objectiveLoss } from "../../trainer/model/objectives";

await selectBackend("wasm");
const V = 50;
const B = 2;
const T = 8;
const base = (arch: "gpt2" | "llama", objective: Objective): ModelConfig =>
  ({ arch, objective, prefixFraction: 0.5, nLayer: 2, nHead: 2, dModel: 16, contextLength: T, vocabSize: V });
const r = new Rng(21);
const x = Int32Array.from({ length: B * T }, () => r.int(V - 1));
const y = Int32Array.from({ length: B * T }, () => r.int(V - 1));

/** Params with weights ~N(0, 0.1): big enough that every position a token reaches moves clearly. */
function params(cfg: ModelConfig): Params {
  const p = createParams(cfg, new Rng(2));
  const g = new Rng(9);
  for (const v of p.values()) if (v.rank === 2) v.assign(tf.tensor(Array.from({ length: v.size }, () => g.normal() * 0.1), v.shape));
  return p;
}

const logitsOf = (p: Params, cfg: ModelConfig, ids: Int32Array) =>
  tf.tidy(() => forward(p, cfg, tf.tensor2d(ids, [B, T], "int32")).dataSync() as Float32Array);

/** Whether the attention pattern of `objective` lets position i see the token at position j. */
function sees(objective: Objective, i: number, j: number): boolean {
  if (objective === "mlm") return true;
  if (objective === "prefix" && j < prefixLength(T, 0.5)) return true;
  return j <= i;
}

for (const arch of ["gpt2", "llama"] as const)
  for (const objective of ["clm", "prefix", "mlm"] as const)
    test(`${arch} ${objective}: changing token j changes exactly the logits the mask lets see it (bit-identical elsewhere)`, () => {
      const cfg = base(arch, objective);
      const p = params(cfg);
      const a = logitsOf(p, cfg, x);
      let smallestChange = Infinity;
      for (let j = 0; j < T; j++) {
        const changed = Int32Array.from(x);
        changed[j] = (changed[j] + 7) % V; // batch row 0 only
        const b = logitsOf(p, cfg, changed);
        for (let i = 0; i < T; i++) {
          const row = (arr: Float32Array, bi: number) => arr.subarray((bi * T + i) * V, (bi * T + i + 1) * V);
          const [ra, rb] = [row(a, 0), row(b, 0)];
          if (sees(objective, i, j)) {
            const diff = Math.max(...ra.map((v, k) => Math.abs(v - rb[k])));
            smallestChange = Math.min(smallestChange, diff);
            assert.ok(diff > 1e-3, `position ${i} must see token ${j} (max change ${diff})`);
          } else assert.deepEqual(Buffer.from(ra.buffer, ra.byteOffset, ra.byteLength), Buffer.from(rb.buffer, rb.byteOffset, rb.byteLength), `position ${i} must not see token ${j}`);
          assert.deepEqual(row(a, 1), row(b, 1), "the other sequence is untouched");
        }
      }
      assert.ok(smallestChange < Infinity);
      console.log(`${arch} ${objective}: smallest change ${smallestChange.toExponential(2)}`);
      disposeParams(p);
    });

test("prefix length: round(fraction T), at least one loss position", () => {
  assert.equal(prefixLength(8, 0.5), 4);
  assert.equal(prefixLength(64, 0.3), 19);
  assert.equal(prefixLength(8, 0.95), 7);
  assert.equal(prefixLength(8, 0.05), 0);
});

test("clm objective loss is the next-token loss at every position", () => {
  const cfg = base("gpt2", "clm");
  const p = params(cfg);
  const ours = objectiveLoss(p, cfg, { x, y, B, T }).dataSync()[0];
  const plain = lossFn(p, cfg, tf.tensor2d(x, [B, T], "int32"), tf.tensor2d(y, [B, T], "int32")).dataSync()[0];
  assert.equal(ours, plain);
  disposeParams(p);
});

/** Mean cross-entropy of the given rows of logits [B*T, V] against targets, in float64 JS. */
function ce(logits: Float32Array, rows: number[], targets: number[]): number {
  let sum = 0;
  rows.forEach((row, n) => {
    const z = logits.subarray(row * V, (row + 1) * V);
    const m = Math.max(...z);
    sum += Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0)) + m - z[targets[n]];
  });
  return sum / rows.length;
}

for (const arch of ["gpt2", "llama"] as const)
  test(`${arch} prefix objective: loss only on positions >= P, against the next tokens`, () => {
    const cfg = base(arch, "prefix");
    const p = params(cfg);
    const P = prefixLength(T, 0.5);
    const rows = Array.from({ length: B * T }, (_, i) => i).filter((i) => i % T >= P);
    const expected = ce(logitsOf(p, cfg, x), rows, rows.map((i) => y[i]));
    const loss = (targets: Int32Array) => objectiveLoss(p, cfg, { x, y: targets, B, T }).dataSync()[0];
    assert.ok(Math.abs(loss(y) - expected) < 1e-5, `${loss(y)} vs ${expected}`);
    const inPrefix = Int32Array.from(y);
    for (let i = 0; i < B * T; i++) if (i % T < P) inPrefix[i] = (inPrefix[i] + 1) % V;
    assert.equal(loss(inPrefix), loss(y), "targets inside the prefix carry no loss");
    const after = Int32Array.from(y);
    after[P] = (after[P] + 1) % V;
    assert.notEqual(loss(after), loss(y));
    disposeParams(p);
  });

for (const arch of ["gpt2", "llama"] as const)
  test(`${arch} mlm objective: predicts the original token at the chosen positions of the corrupted input`, () => {
    const cfg = base(arch, "mlm");
    const p = params(cfg);
    const c = mlmCorrupt(x, B, T, V, V - 1, new Rng(77));
    const expected = ce(logitsOf(p, cfg, c.input), [...c.positions], [...c.targets]);
    const rng = new Rng(77);
    const loss = objectiveLoss(p, cfg, { x, y, B, T }, rng).dataSync()[0];
    assert.ok(Math.abs(loss - expected) < 1e-5, `${loss} vs ${expected}`);
    const after = new Rng(77);
    mlmCorrupt(x, B, T, V, V - 1, after);
    assert.deepEqual(rng.getState(), after.getState(), "the loss draws exactly what mlmCorrupt draws");
    assert.deepEqual([...c.targets], [...c.positions].map((i) => x[i]));
    // Without an rng (validation) the masks are a function of the batch: same loss every time.
    const v1 = objectiveLoss(p, cfg, { x, y, B, T }).dataSync()[0];
    assert.equal(objectiveLoss(p, cfg, { x, y, B, T }).dataSync()[0], v1);
    disposeParams(p);
  });

test("mlm masking statistics over many draws: 15% of positions, split 80/10/10", () => {
  const Vb = 1000;
  const maskId = Vb - 1;
  const rng = new Rng(123);
  const Bn = 64;
  const Tn = 40; // 0.15 * 40 = 6 positions per sequence
  const perPosition = new Float64Array(Tn);
  let chosen = 0, masked = 0, random = 0, kept = 0, draws = 0, randomSum = 0;
  for (let n = 0; n < 200; n++) {
    const xs = Int32Array.from({ length: Bn * Tn }, () => rng.int(maskId)); // never the mask id
    const c = mlmCorrupt(xs, Bn, Tn, Vb, maskId, rng);
    const set = new Set(c.positions);
    assert.equal(set.size, c.positions.length, "positions are distinct");
    for (let i = 0; i < xs.length; i++) if (!set.has(i)) assert.equal(c.input[i], xs[i], "unchosen positions are untouched");
    for (const pos of c.positions) {
      perPosition[pos % Tn]++;
      if (c.input[pos] === maskId) masked++;
      else if (c.input[pos] === xs[pos]) kept++;
      else {
        random++;
        randomSum += c.input[pos];
      }
    }
    chosen += c.positions.length;
    draws += xs.length;
  }
  assert.equal(chosen / draws, 0.15);
  const rows = 200 * Bn;
  for (const k of perPosition) assert.ok(Math.abs(k / rows - 0.15) < 0.015, `a position is chosen ${k / rows} of the time`);
  // Binomial standard error at n = 76,800 is ~0.0014 for 80% and ~0.0011 for 10%.
  assert.ok(Math.abs(masked / chosen - 0.8) < 0.007, `masked ${masked / chosen}`);
  assert.ok(Math.abs(random / chosen - 0.1) < 0.006, `random ${random / chosen}`);
  assert.ok(Math.abs(kept / chosen - 0.1) < 0.006, `kept ${kept / chosen}`);
  assert.ok(Math.abs(randomSum / random - (Vb - 2) / 2) < 15, `random tokens are uniform (mean ${randomSum / random})`);
  // At least one position per sequence, even when 15% rounds to zero.
  assert.equal(mlmCorrupt(Int32Array.from([1, 2, 3]), 1, 3, 10, 9, new Rng(1)).positions.length, 1);
  assert.equal(mlmCorrupt(new Int32Array(64), 1, 64, 10, 9, new Rng(1)).positions.length, 10);
  assert.throws(() => mlmCorrupt(x, B, T, V, V, new Rng(1)), /outside the vocabulary/);
});
