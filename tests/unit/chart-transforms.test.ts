import assert from "node:assert/strict";
import { test } from "node:test";
import { chartMax, drawnSeries, nearestIndex, type ChartLine } from "../../app/components/charts/chart-datasets";
import { parseChartSettings, writeChartSettings } from "../../app/components/charts/chart-settings";
import { formatX, stepAtTokens, tokenAnchors, tokensAt, xAtStep, xMap } from "../../app/components/charts/chart-x";
import { spanOfPoint, type SpanPoint } from "../../lib/downsample";
import { emaSmooth, emaSmoothBySteps } from "../../lib/smoothing";

const raw = (values: (number | null)[], step0 = 0): SpanPoint[] => values.map((v, i) => spanOfPoint({ step: step0 + i, value: v, wallTime: 100 + 2 * i }));
const bucket = (fromStep: number, toStep: number, min: number, max: number, last: number, nan = false): SpanPoint =>
  ({ step: toStep, fromStep, toStep, min, max, last, wallTime: toStep, count: toStep - fromStep + 1, nan });
/** The EMA as drawn: to 12 significant digits, so a constant's float noise cannot zigzag on a tight axis. */
const drawn = (vs: (number | null)[]) => vs.map((v) => (v === null ? null : Number(v.toPrecision(12))));
const line = (points: SpanPoint[], extra: Partial<ChartLine> = {}): ChartLine => ({ label: "l", color: "#818cf8", points, xMap: xMap("step"), ...extra });

test("bucketed data draws a band from min to max under the line through last; the band keeps the spike", () => {
  const pts = [bucket(0, 9, 1, 2, 1.5), bucket(10, 19, 0.9, 40, 1.2), bucket(20, 29, 0.8, 1.1, 1)];
  const sets = drawnSeries([line(pts)], { smooth: 0, smoothBy: "points" }, false);
  assert.deepEqual(sets.map((s) => [s.role, s.main]), [["raw", true], ["band-min", false], ["band-max", false]]);
  assert.deepEqual(sets[0].ys, [1.5, 1.2, 1]);
  assert.deepEqual(sets[2].ys, [2, 40, 1.1]);
  assert.deepEqual(sets[0].xs, [9, 19, 29], "each span is drawn at its last step");
  assert.equal(chartMax([line(pts)]), 40);
  assert.deepEqual(drawnSeries([line(raw([1, 2, 3]))], { smooth: 0, smoothBy: "points" }, false).map((s) => s.role), ["raw"], "raw points need no band");
});

test("smoothing adds the EMA on top and keeps the raw line beneath; non-finite values pass through", () => {
  const values = [3, 1, null, 4, 1, 5];
  const sets = drawnSeries([line(raw(values))], { smooth: 0.6, smoothBy: "points" }, false);
  assert.deepEqual(sets.map((s) => [s.role, s.main]), [["smooth", true], ["raw", false]]);
  assert.deepEqual(sets[0].ys.map((v) => (Number.isNaN(v) ? null : v)), drawn(emaSmooth(values, 0.6)));
  assert.ok(Number.isNaN(sets[0].ys[2]) && Number.isNaN(sets[1].ys[2]), "a NaN is a gap in both lines");
  assert.deepEqual(sets[1].ys.map((v) => (Number.isNaN(v) ? null : v)), values);
  const uneven = raw([1, 2, 3]).map((p, i) => ({ ...p, step: [0, 1, 10][i], fromStep: [0, 1, 10][i], toStep: [0, 1, 10][i] }));
  const bySteps = drawnSeries([line(uneven)], { smooth: 0.6, smoothBy: "steps" }, false);
  assert.deepEqual(bySteps[0].ys, drawn(emaSmoothBySteps(uneven.map((p) => ({ step: p.step, value: p.last })), 0.6)));
  const flat = drawnSeries([line(raw(Array(50).fill(3e-4)))], { smooth: 0.9, smoothBy: "points" }, false);
  assert.deepEqual(new Set(flat[0].ys), new Set([3e-4]), "an lr plateau stays one value");
});

test("sparse and reference lines are never smoothed or banded; a log axis drops values ≤ 0", () => {
  const pts = [bucket(0, 9, -1, 2, 1), bucket(10, 19, 0, 3, 2)];
  const sets = drawnSeries([line(pts, { dots: true }), line(raw([5, 5]), { dashed: true })], { smooth: 0.9, smoothBy: "points" }, true);
  assert.deepEqual(sets.map((s) => [s.role, s.line]), [["raw", 0], ["raw", 1]]);
  const banded = drawnSeries([line(pts)], { smooth: 0, smoothBy: "points" }, true);
  assert.ok(Number.isNaN(banded[1].ys[0]) && Number.isNaN(banded[1].ys[1]), "min ≤ 0 cannot be drawn on a log axis");
  assert.equal(chartMax([line(pts), line(raw([99]), { dashed: true })]), 3, "a reference line is not data");
});

test("tokens seen follow the logged batch sizes, and invert back to steps", () => {
  // 8 rows a step for steps 0..99, then 16 (logged raw), context 10.
  const batch = raw([...Array(100).fill(8), ...Array(50).fill(16)]);
  const a = tokenAnchors(batch, 10, 4);
  assert.equal(tokensAt(a, 0), 80);
  assert.equal(tokensAt(a, 99), 8000);
  assert.equal(tokensAt(a, 149), 8000 + 50 * 160);
  assert.equal(tokensAt(a, 159), 16000 + 1600, "past the last log, the last batch");
  assert.equal(stepAtTokens(a, tokensAt(a, 120)), 120);
  // Bucketed: a span's steps count at the middle of its min–max.
  const coarse = tokenAnchors([bucket(0, 99, 8, 8, 8), bucket(100, 149, 16, 16, 16)], 10, 4);
  assert.equal(tokensAt(coarse, 149), 16000);
  // No logged batches: the configured one.
  const none = tokenAnchors([], 10, 4);
  assert.equal(tokensAt(none, 9), 400);
  assert.equal(stepAtTokens(none, 400), 9);
  const m = xMap("tokens", { anchors: a });
  assert.deepEqual(m.window(tokensAt(a, 20), tokensAt(a, 120)), { xAxis: "step", fromStep: 19, toStep: 121 });
});

test("time axes: wall time as is, relative from the run's first point; their windows go to the server in seconds", () => {
  const p = { step: 5, wallTime: 1_700_000_100 };
  assert.equal(xMap("wall").x(p), 1_700_000_100);
  const rel = xMap("relative", { origin: 1_700_000_000 });
  assert.equal(rel.x(p), 100);
  assert.deepEqual(rel.window(10, 20), { xAxis: "wallTime", fromTime: 1_700_000_010, toTime: 1_700_000_020 });
  assert.deepEqual(xMap("step").window(10.4, 19.2), { xAxis: "step", fromStep: 10, toStep: 20 });
  assert.equal(formatX("relative", 3725, 0), "1h2m");
  assert.equal(formatX("tokens", 1_500_000, 0), "1.5M");
  assert.equal(formatX("step", 1234, 0), "1234");
  assert.deepEqual([-1, -0.6, 0, 0.4, 1].map((v) => formatX("step", v, 2)), ["-1", "", "0", "", "1"], "no repeated labels in a narrow window");
});

test("a step finds its x between the points around it; nearestIndex finds the closest x", () => {
  const pts = raw([1, 2, 3], 10); // steps 10..12 at wall times 100, 102, 104
  const wall = xMap("wall");
  assert.equal(xAtStep(pts, wall, 11), 102);
  assert.equal(xAtStep([pts[0], pts[2]], wall, 11), 102, "interpolated");
  assert.equal(xAtStep(pts, wall, 99), 104, "past the end: the last point");
  assert.equal(xAtStep([], xMap("step"), 7), 7);
  assert.equal(nearestIndex([0, 10, 20], 14), 1);
  assert.equal(nearestIndex([0, 10, 20], 16), 2);
  assert.equal(nearestIndex([0, 10, 20], -5), 0);
  assert.equal(nearestIndex([], 3), -1);
});

test("chart settings round-trip through the URL with defaults left out", () => {
  const q = new URLSearchParams();
  writeChartSettings(q, parseChartSettings({}));
  assert.equal(q.toString(), "");
  const s = { smooth: 0.95, smoothBy: "steps" as const, x: "wall" as const, log: ["lr"], range: [1_700_000_000.5, 1_700_000_600] as [number, number], collapsed: ["system"] };
  writeChartSettings(q, s);
  assert.deepEqual(parseChartSettings(q), s);
  assert.equal(parseChartSettings({ smooth: "-1" }).smooth, 0);
  assert.equal(parseChartSettings({ range: "5" }).range, null);
});

test("a pause on a time axis leaves its segment undrawn on every series of the line; step and token axes have none", () => {
  // 0.5 s a step, stopped for 10 minutes after step 49, resumed at step 40 (a checkpoint), then on.
  const before = Array.from({ length: 50 }, (_, i) => ({ step: i, value: 3 - i / 100, wallTime: 1000 + i / 2 }));
  const after = Array.from({ length: 30 }, (_, i) => ({ step: 40 + i, value: 2.6 - i / 100, wallTime: 1625 + i / 2 }));
  const resumed = [...before.filter((p) => p.step < 40), ...after].map(spanOfPoint);
  for (const axis of ["wall", "relative"] as const) {
    const sets = drawnSeries([line(resumed, { xMap: xMap(axis, { origin: 1000 }) })], { smooth: 0.6, smoothBy: "points" }, false);
    for (const s of sets) assert.deepEqual([...s.gaps], [39], `${axis} ${s.role}: the segment from step 39 to the resumed step 40`);
  }
  for (const axis of ["step", "tokens"] as const)
    assert.equal(drawnSeries([line(resumed, { xMap: xMap(axis) })], { smooth: 0, smoothBy: "points" }, false)[0].gaps.size, 0, axis);

  // Slow steps are not pauses: a run that logs once a minute draws straight through.
  const slow = Array.from({ length: 20 }, (_, i) => spanOfPoint({ step: i, value: 1, wallTime: 60 * i + (i % 3) * 5 }));
  assert.equal(drawnSeries([line(slow, { xMap: xMap("wall") })], { smooth: 0, smoothBy: "points" }, false)[0].gaps.size, 0);
  // Nor is a short hiccup, however long next to the usual step.
  const hiccup = raw([1, 2, 3, 4, 5]).map((p, i) => ({ ...p, wallTime: i < 3 ? i * 0.1 : 20 + i * 0.1 }));
  assert.equal(drawnSeries([line(hiccup, { xMap: xMap("wall") })], { smooth: 0, smoothBy: "points" }, false)[0].gaps.size, 0);
});
