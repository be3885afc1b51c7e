import assert from "node:assert/strict";
import { test } from "node:test";
import { emaSmooth, emaSmoothBySteps, typicalGap } from "../../lib/smoothing";

const close = (actual: (number | null)[], expected: (number | null)[]) => {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => {
    const e = expected[i];
    if (e === null || !Number.isFinite(e)) return assert.ok(Object.is(a, e), `#${i}: ${a} should be ${e}`);
    assert.ok(Math.abs((a as number) - e) < 1e-12, `#${i}: ${a} should be ${e}`);
  });
};

test("the debiased EMA matches values worked by hand", () => {
  // w = 0.5: last = 0.5, 1.25, 2.125; debias 0.5, 0.75, 0.875.
  close(emaSmooth([1, 2, 3], 0.5), [1, 5 / 3, 17 / 7]);
  // w = 0.9 on a constant: the debias makes it exact from the first point.
  close(emaSmooth([4, 4, 4, 4], 0.9), [4, 4, 4, 4]);
});

test("NaN, Infinity and null pass through and leave the state alone", () => {
  // The NaN is skipped: the 3 is the second finite value, so last = 0.25 + 1.5 over 1 − 0.25.
  close(emaSmooth([1, NaN, 3], 0.5), [1, NaN, 7 / 3]);
  close(emaSmooth([null, 2, Infinity, 2], 0.5), [null, 2, Infinity, 2]);
  // By steps the skipped point still leaves a gap of 2: decay 0.25, last = 0.125 + 2.25, norm = 0.125 + 0.75.
  close(emaSmoothBySteps([{ step: 0, value: 1 }, { step: 1, value: null }, { step: 2, value: 3 }], 0.5, 1), [1, null, 19 / 7]);
});

test("weight 0 is the identity, and weights outside [0, 1) are refused", () => {
  const ys = [3, -1, 7.5, null, 0.25];
  close(emaSmooth(ys, 0), ys);
  close(emaSmoothBySteps(ys.map((value, i) => ({ step: i * i, value })), 0), ys);
  assert.throws(() => emaSmooth([1], 1), /\[0, 1\)/);
  assert.throws(() => emaSmooth([1], -0.1), /\[0, 1\)/);
  assert.throws(() => emaSmoothBySteps([], NaN), /\[0, 1\)/);
});

test("the step-weighted EMA equals TensorBoard's at even spacing and counts a gap as the steps it spans", () => {
  const ys = [5, 1, 4, 1, 5, 9, 2, 6];
  close(emaSmoothBySteps(ys.map((value, i) => ({ step: 10 * i, value })), 0.6), emaSmooth(ys, 0.6));
  // Steps 0, 1, 3 with τ = 1: decays 0.5, 0.5, 0.25. last = 0.5, 1.25, 2.5625; norm = 0.5, 0.75, 0.9375.
  close(emaSmoothBySteps([{ step: 0, value: 1 }, { step: 1, value: 2 }, { step: 3, value: 3 }], 0.5, 1), [1, 5 / 3, 41 / 15]);
  // A later point after a long gap owes almost nothing to the earlier ones.
  const [, after] = emaSmoothBySteps([{ step: 0, value: 0 }, { step: 1000, value: 1 }], 0.9, 1);
  assert.ok((after as number) > 0.999999, String(after));
});

test("the typical gap is the median of the step gaps", () => {
  assert.equal(typicalGap([0, 10, 20, 40]), 10);
  assert.equal(typicalGap([0, 1, 3, 6, 10]), 2.5);
  assert.equal(typicalGap([7]), 1);
});
