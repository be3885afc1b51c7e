import assert from "node:assert/strict";
import { test } from "node:test";
import { describeFirstLayer, FIRST_LAYER_K, FIRST_LAYER_WINDOW, firstLayer, gradNormRows, type RowSeries } from "../../lib/layer-first";
import { layerKey, type LayerRow } from "../../lib/layer-stats";
import { Rng } from "../../lib/rng";

const INTERVAL = 10;
const rows: LayerRow[] = ["emb", ...Array.from({ length: 6 }, (_, block) => ({ block })), "lnf"];

/** Noisy flat grad norms every INTERVAL steps up to `last`, with `bump(row, step)` multiplying them. */
function series(last: number, bump: (row: LayerRow, step: number) => number, seed = 1): RowSeries[] {
  const rng = new Rng(seed);
  return rows.map((row, r) => ({
    row,
    points: Array.from({ length: last / INTERVAL + 1 }, (_, i) => {
      const step = i * INTERVAL;
      return { step, value: (1 + r * 0.1) * (0.9 + 0.2 * rng.next()) * bump(row, step) };
    }),
  }));
}
const isBlock = (row: LayerRow, b: number) => typeof row !== "string" && row.block === b;

test("a spike that starts in block 3 one stats step before it reaches the others names block 3 at that step", () => {
  // Block 3 at 20× from step 110; every row at 20× (block 3 at 30×) from step 120; the alert at 125.
  const s = series(200, (row, step) => (step >= 120 ? (isBlock(row, 3) ? 30 : 20) : step >= 110 && isBlock(row, 3) ? 20 : 1));
  const f = firstLayer(s, 125);
  assert.ok(f);
  assert.deepEqual(f.row, { block: 3 });
  assert.equal(f.step, 110);
  assert.ok(f.ratio > 15 && f.ratio < 25, `ratio ${f.ratio}`);
  assert.match(describeFirstLayer(f), /^first: block 03 grad norm \d+× its median at step 110$/);
});

test("when several rows go at the same step, the largest ratio wins; below k nothing is named", () => {
  const s = series(150, (row, step) => (step >= 130 ? (isBlock(row, 1) ? 6 : isBlock(row, 4) ? 9 : 1) : 1));
  assert.deepEqual(firstLayer(s, 130)?.row, { block: 4 });
  const mild = series(150, (row, step) => (step >= 130 && isBlock(row, 2) ? FIRST_LAYER_K * 0.8 : 1));
  assert.equal(firstLayer(mild, 140), null);
});

test("the window: a rise older than the window is not named, nor one after the alert; a NaN counts as infinite", () => {
  const early = 130 - (FIRST_LAYER_WINDOW + 2) * INTERVAL;
  // Block 5 jumps and stays up: by the window its median has caught up, so it is not "first" there.
  const s = series(200, (row, step) => (isBlock(row, 5) && step >= early ? 20 : 1));
  assert.equal(firstLayer(s, 130 + 5 * INTERVAL), null);
  const later = series(200, (row, step) => (isBlock(row, 0) && step >= 150 ? 20 : 1));
  assert.equal(firstLayer(later, 140), null, "a rise after the alert is not looked at");
  assert.deepEqual(firstLayer(later, 150)?.row, { block: 0 });
  const nan = series(200, () => 1).map((r) => (r.row === "lnf" ? { ...r, points: r.points.map((p) => (p.step === 100 ? { ...p, value: null } : p)) } : r));
  const f = firstLayer(nan, 105)!;
  assert.equal(f.row, "lnf");
  assert.equal(f.ratio, Infinity);
  assert.equal(describeFirstLayer(f), "first: final norm grad norm not finite at step 100");
});

test("too little history names nothing; gradNormRows keeps only per-block grad norm keys", () => {
  const s = series(20, (row, step) => (isBlock(row, 1) && step === 20 ? 50 : 1));
  assert.equal(firstLayer(s, 20), null, "two earlier values are not a median");
  const picked = gradNormRows([
    [layerKey("grad_norm", { block: 2 }), [{ step: 0, value: 1 }]],
    [layerKey("grad_norm", "emb"), []],
    [layerKey("act_rms", { block: 2 }), []],
    ["loss", []],
  ]);
  assert.deepEqual(picked.map((r) => r.row), [{ block: 2 }, "emb"]);
});
