import assert from "node:assert/strict";
import { test } from "node:test";
import { coarsestWidth, mergeBuckets, pointBucket, type Bucket } from "../../lib/downsample";

const WIDTHS = [4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144];
const N = 300_000;
const SPIKE = 123_457;
const NAN = 222_223;
const points = Array.from({ length: N }, (_, step) => ({
  step,
  value: step === SPIKE ? 50 : step === NAN ? null : 2 + Math.sin(step / 300) * 0.1,
  wallTime: 1000 + step,
}));

/** Brute-force rollup of one width, as the server stores it. */
function rollup(width: number): Bucket[] {
  const out: Bucket[] = [];
  for (let from = 0; from < N; from += width) out.push(mergeBuckets(points.slice(from, from + width).map(pointBucket), from, from + width - 1, 1)[0]);
  return out;
}
const rollups = new Map(WIDTHS.map((w) => [w, rollup(w)]));

/** What the server reads for [from, to]: whole buckets of the chosen width, raw points at the ragged edges. */
function read(from: number, to: number, budget: number): Bucket[] {
  const width = coarsestWidth(WIDTHS, to - from + 1, budget);
  if (width === null) return points.slice(from, to + 1).map(pointBucket);
  const first = Math.ceil(from / width);
  const end = Math.floor((to + 1) / width);
  return [
    ...points.slice(from, first * width).map(pointBucket),
    ...rollups.get(width)!.slice(first, end),
    ...points.slice(end * width, to + 1).map(pointBucket),
  ];
}

function check(out: Bucket[], from: number, to: number, budget: number) {
  assert.ok(out.length <= budget, `${out.length} > ${budget} buckets`);
  assert.equal(out.reduce((n, b) => n + b.count, 0), to - from + 1, "every point counted once");
  assert.equal(out[0].fromStep, from);
  assert.equal(out[out.length - 1].toStep, to);
  for (let i = 0; i < out.length; i++) {
    const b = out[i];
    if (i > 0) assert.ok(b.fromStep > out[i - 1].toStep, "buckets ascend without overlap");
    assert.equal(b.last, points[b.toStep].value, "last is the value at the bucket's last step");
    assert.equal(b.wallTime, points[b.toStep].wallTime);
  }
  if (from <= SPIKE && SPIKE <= to)
    assert.ok(out.some((b) => b.fromStep <= SPIKE && SPIKE <= b.toStep && b.max === 50), `spike lost in ${from}..${to}`);
  else assert.ok(out.every((b) => (b.max as number) < 3), "no spike outside its window");
  if (from <= NAN && NAN <= to) assert.ok(out.some((b) => b.fromStep <= NAN && NAN <= b.toStep && b.nanCount === 1), `NaN lost in ${from}..${to}`);
  else assert.ok(out.every((b) => b.nanCount === 0));
}

test("a spike and a NaN survive every zoom level, wherever they sit in the window", () => {
  for (const budget of [10, 1000, 5000]) {
    for (let span = N; span >= 1; span = Math.floor(span / 3)) {
      for (const target of [SPIKE, NAN]) {
        // The target at the window's first step, a third in, and its last step, plus a window just past it.
        for (const from of [target, target - Math.floor(span / 3), target - span + 1, target + 1]) {
          const lo = Math.max(0, Math.min(N - span, from));
          const hi = lo + span - 1;
          check(mergeBuckets(read(lo, hi, budget), lo, hi, budget), lo, hi, budget);
        }
      }
    }
  }
});

test("a window of at most budget raw points merges to itself", () => {
  const raw = points.slice(SPIKE - 500, SPIKE + 500).map(pointBucket);
  assert.deepEqual(mergeBuckets(raw, SPIKE - 500, SPIKE + 499, 1000), raw);
});

test("min and max ignore NaN buckets, and a bucket of only NaN keeps null extremes", () => {
  const nan = pointBucket({ step: 5, value: null, wallTime: 1 });
  const [merged] = mergeBuckets([pointBucket({ step: 4, value: -3, wallTime: 0 }), nan], 0, 9, 1);
  assert.deepEqual(merged, { fromStep: 4, toStep: 5, min: -3, max: -3, last: null, wallTime: 1, count: 2, nanCount: 1 });
  assert.deepEqual(mergeBuckets([nan], 0, 9, 1), [nan]);
});

test("the coarsest width that still gives the budget is chosen, or none", () => {
  assert.equal(coarsestWidth(WIDTHS, 1_000_000, 1000), 256);
  assert.equal(coarsestWidth(WIDTHS, 1_024_000, 1000), 1024);
  assert.equal(coarsestWidth(WIDTHS, 3999, 1000), null);
  assert.equal(coarsestWidth(WIDTHS, 1_000_000_000, 10), 262144);
});
