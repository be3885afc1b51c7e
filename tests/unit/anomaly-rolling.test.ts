import assert from "node:assert/strict";
import { test } from "node:test";
import { diffs, mad, median, RollingWindow, robustSigma, trendBaseline } from "../../lib/anomaly/rolling";

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test("median: odd and even counts, unsorted input left unchanged, empty is NaN", () => {
  const xs = [5, 1, 4, 2, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 4, 2, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.ok(Number.isNaN(median([])));
});

test("MAD and robust sigma by hand", () => {
  // [1, 2, 3, 4, 100]: median 3, |deviations| [2, 1, 0, 1, 97] → median 1
  assert.equal(mad([1, 2, 3, 4, 100]), 1);
  close(robustSigma([1, 2, 3, 4, 100]), 1.4826);
  // [2, 4, 4, 4, 5, 5, 7, 9]: median 4.5, |dev| [2.5, .5, .5, .5, .5, .5, 2.5, 4.5] → median .5
  assert.equal(mad([2, 4, 4, 4, 5, 5, 7, 9]), 0.5);
  assert.equal(mad([1, 2, 3], 0), 2); // about a given centre
});

test("diffs are consecutive differences", () => {
  assert.deepEqual(diffs([1, 4, 2, 2]), [3, -2, 0]);
  assert.deepEqual(diffs([1]), []);
});

test("RollingWindow keeps the newest capacity values", () => {
  const w = new RollingWindow(3);
  for (const x of [1, 2, 3, 4, 5]) w.push(x);
  assert.deepEqual(w.values(), [3, 4, 5]);
  assert.equal(w.length, 3);
  assert.deepEqual(w.last(2), [4, 5]);
  assert.deepEqual(w.last(10), [3, 4, 5]);
  assert.equal(w.median(), 4);
  assert.throws(() => new RollingWindow(0), /at least 1/);
});

test("trendBaseline follows a falling line: level is the next point, not a lagging median", () => {
  // 10, 9, …, 1 (step −1): median of the last 5 (5, 4, 3, 2, 1) is 3, moved 3 steps of −1 → 0.
  const line = Array.from({ length: 10 }, (_, i) => 10 - i);
  const { level, sigma } = trendBaseline(line);
  close(level, 0);
  // no noise at all: sigma is the floor, 1e-12 at level 0
  close(sigma, 1e-12);
});

test("trendBaseline by hand on a noisy series", () => {
  const xs = [5, 6, 5, 7, 6, 5];
  // steps [1, −1, 2, −1, −1]: median −1; |steps − (−1)| [2, 0, 3, 0, 0] → MAD 0
  // last 5 [6, 5, 7, 6, 5] median 6; level 6 + (−1)·3 = 3; sigma floored at 1e-4·3
  const b = trendBaseline(xs);
  close(b.level, 3);
  close(b.sigma, 3e-4);
  const ys = [1, 3, 2, 5, 3];
  // steps [2, −1, 3, −2]: median 0.5; |dev| [1.5, 1.5, 2.5, 2.5] → MAD 2
  // level median(1,3,2,5,3) = 3, + 0.5·3 = 4.5; sigma 1.4826·2/√2
  const c = trendBaseline(ys);
  close(c.level, 4.5);
  close(c.sigma, (1.4826 * 2) / Math.SQRT2);
});

test("trendBaseline ignores a single outlier in level and scale", () => {
  const flat = [3, 3.1, 2.9, 3, 3.1, 2.9, 3, 3.1, 2.9, 3];
  const spiked = [...flat];
  spiked[7] = 30;
  const a = trendBaseline(flat);
  const b = trendBaseline(spiked);
  assert.ok(Math.abs(a.level - b.level) < 0.15, `${a.level} vs ${b.level}`);
  assert.ok(b.sigma < 3 * a.sigma, `${b.sigma} vs ${a.sigma}`);
});
