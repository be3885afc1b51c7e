import assert from "node:assert/strict";
import { test } from "node:test";
import { columnOfStep, heatGrid, rampColor, scaleOf, scalePosition, scaleTicks } from "../../lib/layer-grid";

const pts = (steps: number[], f: (s: number) => number) => steps.map((step) => ({ step, min: f(step), max: f(step) }));

test("a column per stats step when they fit; rows in layer order; missing points stay empty", () => {
  const grid = heatGrid("grad_norm", [
    { row: "lnf", points: pts([0, 10, 20], () => 1) },
    { row: { block: 1 }, points: pts([0, 20], (s) => s + 1) },
    { row: "emb", points: pts([0, 10, 20], () => 2) },
  ], 100);
  assert.deepEqual(grid.rows, ["emb", { block: 1 }, "lnf"]);
  assert.deepEqual(grid.columns.map((c) => c.fromStep), [0, 10, 20]);
  assert.deepEqual(grid.values[1], [1, null, 21]);
  assert.equal(columnOfStep(grid, 10), 1);
  assert.equal(columnOfStep(grid, 15), -1);
});

test("past the width, columns cover equal step ranges and keep the largest value (the smallest for entropy)", () => {
  const steps = Array.from({ length: 100 }, (_, i) => i * 5);
  const spiky = (s: number) => (s === 255 ? 50 : 1);
  const grid = heatGrid("grad_norm", [{ row: { block: 0 }, points: pts(steps, spiky) }], 10);
  assert.equal(grid.columns.length, 10);
  assert.deepEqual(grid.columns[0], { fromStep: 0, toStep: 49 });
  assert.equal(grid.values[0][columnOfStep(grid, 255)], 50, "the spike survives binning");
  assert.equal(grid.values[0].filter((v) => v === 50).length, 1);
  const entropy = heatGrid("attn_entropy", [{ row: { block: 0, head: 1 }, points: pts(steps, (s) => (s === 255 ? 0.1 : 2)) }], 10);
  assert.equal(entropy.values[0][columnOfStep(entropy, 255)], 0.1, "a collapse survives binning");
});

test("scales: log for norms over positive values, linear for entropy; ticks span it; positions clamp", () => {
  const grid = heatGrid("update_ratio", [{ row: { block: 0 }, points: pts([0, 1, 2], (s) => [0, 1e-4, 1e-2][s]) }], 10);
  const log = scaleOf("update_ratio", grid)!;
  assert.deepEqual(log, { log: true, lo: 1e-4, hi: 1e-2 });
  assert.ok(Math.abs(scaleTicks(log, 3)[1] - 1e-3) < 1e-12, "the middle tick is the geometric mean");
  assert.equal(scalePosition(log, 0), null, "0 has no place on a log scale (a skipped update)");
  assert.ok(Math.abs(scalePosition(log, 1e-3)! - 0.5) < 1e-12);
  const lin = scaleOf("attn_entropy", heatGrid("attn_entropy", [{ row: { block: 0, head: 0 }, points: pts([0, 1], (s) => s + 1) }], 10))!;
  assert.deepEqual(lin, { log: false, lo: 1, hi: 2 });
  assert.equal(scalePosition(lin, 5), 1);
  assert.equal(scaleOf("grad_norm", heatGrid("grad_norm", [], 10)), null);
  assert.notEqual(rampColor(0), rampColor(1));
  assert.match(rampColor(0.37), /^rgb\(\d+, \d+, \d+\)$/);
});
