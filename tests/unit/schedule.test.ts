import assert from "node:assert/strict";
import { test } from "node:test";
import { batchSizeAt, createSchedule, lrAt, PlateauSchedule, stepLrAt } from "../../lib/schedule";

const s = { lr: 1e-3, minLr: 1e-4, warmupSteps: 10, steps: 110 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test("linear warmup: lr*(step+1)/warmupSteps", () => {
  close(lrAt(0, s), 1e-4);
  close(lrAt(4, s), 5e-4);
  close(lrAt(9, s), 1e-3); // last warmup step reaches the peak
});

test("cosine decay from lr at the end of warmup to minLr at steps", () => {
  close(lrAt(10, s), 1e-3);
  close(lrAt(60, s), 1e-4 + 0.5 * (1e-3 - 1e-4)); // halfway: midpoint
  close(lrAt(35, s), 1e-4 + 0.5 * (1 + Math.cos(Math.PI * 0.25)) * 9e-4);
  close(lrAt(110, s), 1e-4);
  close(lrAt(500, s), 1e-4);
});

test("monotone decay after warmup; no warmup starts at the peak", () => {
  for (let i = 10; i < 110; i++) assert.ok(lrAt(i + 1, s) <= lrAt(i, s));
  close(lrAt(0, { ...s, warmupSteps: 0 }), 1e-3);
});

const sd = { ...s, decayEvery: 20, decayFactor: 0.5 };

test("step decay: warmup, then lr · factor^floor((step − warmup) / every), floored at minLr", () => {
  close(stepLrAt(4, sd), 5e-4);
  close(stepLrAt(10, sd), 1e-3);
  close(stepLrAt(29, sd), 1e-3);
  close(stepLrAt(30, sd), 5e-4);
  close(stepLrAt(49, sd), 5e-4);
  close(stepLrAt(50, sd), 2.5e-4);
  close(stepLrAt(70, sd), 1.25e-4);
  close(stepLrAt(90, sd), 1e-4); // 6.25e-5 is below minLr
  close(stepLrAt(10_000, sd), 1e-4);
  close(createSchedule({ ...sd, schedule: "step", plateauPatience: 1, plateauFactor: 1 }).lrAt(50), 2.5e-4);
});

test("plateau: a cut after `patience` evals without a new best, applied from the step after that eval", () => {
  const p = new PlateauSchedule({ ...s, warmupSteps: 2, plateauPatience: 2, plateauFactor: 0.5 });
  close(p.lrAt(0), 5e-4);
  // Evals every 10 steps; the scripted val losses and the lr expected after each one.
  const script: [number, number, number][] = [
    [0, 5.0, 1e-3], // first finite loss: a new best
    [10, 4.0, 1e-3],
    [20, 4.0, 1e-3], // equal is no improvement (1 bad)
    [30, 4.5, 5e-4], // 2 bad: cut
    [40, 3.9, 5e-4], // new best
    [50, NaN, 5e-4], // NaN never improves (1 bad)
    [60, 3.95, 2.5e-4], // 2 bad: cut
    [70, 3.95, 2.5e-4],
    [80, 3.95, 1.25e-4],
    [90, 9, 1.25e-4],
    [100, 9, 1e-4], // 6.25e-5 floored at minLr
  ];
  for (const [step, loss, after] of script) {
    const before = p.lrAt(step);
    p.observe(step, loss);
    close(p.lrAt(step), before); // the eval at `step` never changes that step's lr
    close(p.lrAt(step + 1), after);
  }
  assert.deepEqual(p.getState(), { best: 3.9, bad: 0, cuts: 4, lastEval: 100, lastCut: 100 });
});

test("plateau state round trip through JSON resumes exactly, and a repeated eval is not counted twice", () => {
  const cfg = { ...s, warmupSteps: 0, plateauPatience: 1, plateauFactor: 0.1 };
  const a = new PlateauSchedule(cfg);
  a.observe(0, 3);
  a.observe(10, 3.5); // cut at 10
  const saved = JSON.parse(JSON.stringify(a.getState()));
  const b = new PlateauSchedule(cfg);
  b.setState(saved);
  close(b.lrAt(10), 1e-3); // a checkpoint at step 10 resumes at 10: the cut waits for step 11
  close(b.lrAt(11), 1e-4);
  b.observe(10, 3.5); // the resumed run repeats the eval at 10
  assert.deepEqual(b.getState(), a.getState());
  a.observe(20, 2);
  b.observe(20, 2);
  assert.deepEqual(b.getState(), a.getState());
  assert.throws(() => b.setState(null), /not a plateau schedule state/);
  assert.throws(() => b.setState({ ...saved, cuts: -1 }), /not a plateau schedule state/);
  // A fresh schedule starts with no best: JSON keeps it as null, not Infinity.
  assert.equal(JSON.parse(JSON.stringify(new PlateauSchedule(cfg).getState())).best, null);
});

test("createSchedule: cosine and step carry no state; plateau does", () => {
  const base = { ...sd, plateauPatience: 2, plateauFactor: 0.5 };
  const cos = createSchedule({ ...base, schedule: "cosine" });
  close(cos.lrAt(60), lrAt(60, s));
  cos.observe(60, 1);
  assert.equal(cos.getState(), null);
  assert.ok(createSchedule({ ...base, schedule: "plateau" }) instanceof PlateauSchedule);
});

test("batch ramp: linear in tokens seen, rounded down to whole micro-batches, at least one", () => {
  const ramp = { batchSize: 16, microBatchSize: 4, batchRampStart: 2, batchRampTokens: 1000 };
  assert.equal(batchSizeAt(0, ramp), 4); // 2 rounds down to 0 micro-batches: one instead
  assert.equal(batchSizeAt(500, ramp), 8); // 2 + 14·0.5 = 9 → 8
  assert.equal(batchSizeAt(800, ramp), 12); // 13.2 → 12
  assert.equal(batchSizeAt(1000, ramp), 16);
  assert.equal(batchSizeAt(5000, ramp), 16);
  const noMicro = { ...ramp, microBatchSize: 0 };
  assert.equal(batchSizeAt(0, noMicro), 2);
  assert.equal(batchSizeAt(500, noMicro), 9);
  assert.equal(batchSizeAt(123, { ...ramp, batchRampStart: 0 }), 16);
});
