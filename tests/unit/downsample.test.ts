import assert from "node:assert/strict";
import { test } from "node:test";
import { downsampleMinMax, mergeByStep } from "../../lib/downsample";

const series = (n: number, f: (i: number) => number | null) => Array.from({ length: n }, (_, i) => ({ step: i, value: f(i) }));

test("downsampling keeps a single spike, a NaN and the last point", () => {
  const points = series(100_000, (i) => (i === 31_337 ? 50 : i === 70_001 ? null : 2 + Math.sin(i / 100) * 0.1));
  const out = downsampleMinMax(points, 1000);
  assert.ok(out.length <= 1001, `${out.length} points`);
  assert.ok(out.some((p) => p.step === 31_337 && p.value === 50), "spike kept");
  assert.ok(out.some((p) => p.step === 70_001 && p.value === null), "NaN kept");
  assert.equal(out[out.length - 1].step, 99_999);
  for (let i = 1; i < out.length; i++) assert.ok(out[i].step > out[i - 1].step, "steps stay sorted and unique");
});

test("short series pass through untouched", () => {
  const points = series(10, (i) => i);
  assert.equal(downsampleMinMax(points, 1000), points);
});

test("merging live points by step leaves no gap and no duplicate at the seam", () => {
  const history = series(50, (i) => i);
  const live = series(60, (i) => i * 10).slice(45); // overlaps steps 45..49, then extends
  const merged = mergeByStep(history, live);
  assert.deepEqual(merged.map((p) => p.step), series(60, (i) => i).map((p) => p.step));
  assert.equal(merged[47].value, 470, "the newer value wins at the seam");
  assert.equal(mergeByStep(merged, []), merged);
  const appended = mergeByStep(history, [{ step: 51, value: 1 }, { step: 50, value: 0 }]);
  assert.deepEqual(appended.slice(-2).map((p) => p.step), [50, 51]);
});
