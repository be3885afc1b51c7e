import assert from "node:assert/strict";
import { test } from "node:test";
import { mad, median, RollingWindow, TrendWindow, trendBaseline } from "../../lib/anomaly/rolling";
import { RunMonitor } from "../../lib/anomaly/monitor";
import { Rng } from "../../lib/rng";

/** Values with ties, signed zeros, repeats and a trend, as real series have them. */
function series(rng: Rng, n: number): number[] {
  const pool = [0, -0, 1, 1, 2.5, -3];
  return Array.from({ length: n }, (_, i) => (rng.next() < 0.2 ? pool[rng.int(pool.length)] : Math.round((5 - i * 0.01 + rng.normal()) * 100) / 100));
}

test("the sorted windows give the sorting functions' medians, MADs and baselines to the bit", () => {
  const rng = new Rng(11);
  for (const capacity of [1, 2, 3, 10, 100]) {
    const xs = series(rng, 400);
    const w = new RollingWindow(capacity);
    const t = new TrendWindow(capacity);
    for (let i = 0; i < xs.length; i++) {
      w.push(xs[i]);
      t.push(xs[i]);
      const held = xs.slice(Math.max(0, i + 1 - capacity), i + 1);
      assert.deepEqual(w.values(), held);
      assert.ok(Object.is(w.median(), median(held)), `median at ${i}, capacity ${capacity}`);
      assert.ok(Object.is(w.mad(), mad(held)), `mad at ${i}, capacity ${capacity}`);
      for (const ahead of [1, 3]) assert.deepEqual(t.baseline(5, ahead), trendBaseline(held, 5, ahead), `baseline at ${i}, capacity ${capacity}`);
    }
  }
});

test("a window holding NaN still answers as the sorting functions do", () => {
  const w = new RollingWindow(3);
  for (const x of [1, NaN, 3, 2]) w.push(x);
  assert.ok(Object.is(w.median(), median([NaN, 3, 2])));
  w.push(5);
  w.push(6);
  assert.equal(w.median(), 5);
});

test("the monitor observes points by step with eval counts first, whatever order they came in", () => {
  const points = [
    { step: 2, key: "eval/piqa/acc", value: 0.4, wallTime: 1 },
    { step: 2, key: "eval/piqa/n", value: 1000, wallTime: 1 },
    { step: 1, key: "eval/piqa/acc", value: 0.6, wallTime: 1 },
    { step: 1, key: "eval/piqa/n", value: 1000, wallTime: 1 },
  ];
  const found = new RunMonitor().observe(points);
  assert.equal(found.length, 1);
  assert.equal(found[0].type, "eval_regression");
  assert.match(found[0].message, /n 1000 and 1000/, "the count of each evaluation was known before its accuracy");
});
