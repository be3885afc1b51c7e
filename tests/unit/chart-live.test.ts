import assert from "node:assert/strict";
import { test } from "node:test";
import { BUDGET, withLive, type RangeSeries } from "../../app/components/charts/use-chart-range";
import { appendLive, mergeBuckets, pointBucket, spanOfPoint, type SpanPoint } from "../../lib/downsample";

const pt = (step: number, value: number | null) => ({ step, key: "loss", value, wallTime: 1000 + step });
const spans = (from: number, to: number, value = (s: number) => s as number | null) => Array.from({ length: to - from + 1 }, (_, i) => spanOfPoint(pt(from + i, value(from + i))));

test("live points past the tail join the last span until it is `width` steps wide, then start a new one", () => {
  const base = spans(0, 3);
  const out = appendLive(base, [pt(4, 1), pt(5, 50), pt(6, null), pt(7, 2), pt(8, 3)], 3);
  // The tail (step 3) takes 4 and 5 (5 − 3 < 3); 6 starts a span that takes 7 and 8.
  assert.deepEqual(out.map((s) => [s.fromStep, s.toStep, s.count]), [[0, 0, 1], [1, 1, 1], [2, 2, 1], [3, 5, 3], [6, 8, 3]]);
  assert.deepEqual(out[3], { step: 5, fromStep: 3, toStep: 5, last: 50, min: 1, max: 50, wallTime: 1005, count: 3, nan: false });
  assert.deepEqual(out[4], { step: 8, fromStep: 6, toStep: 8, last: 3, min: 2, max: 3, wallTime: 1008, count: 3, nan: true }, "a NaN marks its span and leaves min and max to the finite values");
  assert.equal(base.length, 4, "the input is not changed");
});

test("width 1 appends every point as it is, out of order input included", () => {
  const out = appendLive(spans(0, 1), [pt(3, 3), pt(2, 2)], 1);
  assert.deepEqual(out.map((s) => [s.step, s.last, s.count]), [[0, 0, 1], [1, 1, 1], [2, 2, 1], [3, 3, 1]]);
});

test("a re-sent step replaces its raw point, a step inside a wider span is left to the next reload, and nothing new returns the same array", () => {
  const base = [...spans(0, 2), { ...spanOfPoint(pt(10, 5)), fromStep: 3, min: 1, max: 9, count: 8 }];
  const out = appendLive(base, [pt(1, 42), pt(5, 99)], 4);
  assert.equal(out[1].last, 42);
  assert.deepEqual(out[3], base[3]);
  assert.equal(out.length, base.length);
  assert.equal(appendLive(base, [], 4), base);
  assert.equal(appendLive(base, [pt(6, 1)], 4), base, "a step inside a bucket changes nothing");
});

test("a spike in live data is never lost: every appended value is within some span's min–max", () => {
  let s: SpanPoint[] = [];
  const values: number[] = [];
  for (let step = 0; step < 5000; step++) {
    const v = step === 3217 ? 1e6 : Math.sin(step);
    values.push(v);
    if (step % 7 === 6) s = appendLive(s, values.slice(step - 6, step + 1).map((v, i) => pt(step - 6 + i, v)), 50);
  }
  assert.ok(s.some((x) => x.fromStep <= 3217 && x.toStep >= 3217 && x.max === 1e6));
  assert.equal(s.reduce((n, x) => n + x.count, 0), 4998, "every point counted once (the last 2 steps of an unfinished batch of 7 are not sent)");
  assert.ok(s.length <= 101, `${s.length} spans for 5000 steps at width 50`);
});

test("withLive widens live spans as the run grows past the budget, and a following series stays raw until then", () => {
  const start: RangeSeries = { raw: true, minStep: 0, maxStep: 99, count: 100, points: spans(0, 99) };
  const small = withLive(start, [pt(100, 1), pt(101, 2)], false);
  assert.equal(small.raw, true);
  assert.equal(small.points.length, 102);
  assert.deepEqual([small.minStep, small.maxStep, small.count], [0, 101, 102]);

  // A full-range series of a long run: 1000 buckets over 1M steps, then 10 s of a run at 50 steps/s.
  const long = mergeBuckets(Array.from({ length: 1_000_000 / 500 }, (_, i) => ({ ...pointBucket(pt(i * 500 + 499, 1)), fromStep: i * 500, count: 500 })), 0, 999_999, BUDGET);
  const full: RangeSeries = { raw: false, minStep: 0, maxStep: 999_999, count: 1_000_000, points: long.map((b) => ({ step: b.toStep, last: b.last, min: b.min, max: b.max, fromStep: b.fromStep, toStep: b.toStep, wallTime: b.wallTime, count: b.count, nan: b.nanCount > 0 })) };
  let s = full;
  for (let t = 0; t < 100; t++) s = withLive(s, Array.from({ length: 5 }, (_, i) => pt(1_000_000 + t * 5 + i, t === 50 && i === 2 ? 77 : 1)), false);
  assert.equal(s.raw, false);
  assert.equal(s.count, 1_000_500);
  assert.ok(s.points.length <= BUDGET + 1, `500 live steps at ~1000 steps a span add at most one span: ${s.points.length}`);
  assert.equal(s.points.at(-1)!.max, 77, "the live spike is in the tail span");

  // A sparse key (val loss every 500 steps) in a long run: each point is its own span, so it stays raw.
  const sparse = withLive({ raw: true, minStep: 0, maxStep: 19_500, count: 40, points: spans(0, 39).map((p) => ({ ...p, step: p.step * 500, fromStep: p.step * 500, toStep: p.step * 500 })) }, [pt(20_000, 1)], false);
  assert.equal(sparse.raw, true);
  assert.equal(sparse.points.length, 41);

  const empty = withLive(undefined, [pt(7, 3)], false);
  assert.deepEqual([empty.minStep, empty.maxStep, empty.count, empty.raw], [7, 7, 1, true]);
});
