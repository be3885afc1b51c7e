import assert from "node:assert/strict";
import { test } from "node:test";
import { constantValue, type ChartLine } from "../../app/components/charts/chart-datasets";
import { logCeil, logFloor, logLabelled, smoothable, unitBounds, unitInterval } from "../../app/components/charts/chart-kinds";
import { xMap } from "../../app/components/charts/chart-x";
import { spanOfPoint } from "../../lib/downsample";

test("noisy training metrics are smoothed; schedules and evaluations never are", () => {
  for (const k of ["loss", "grad_norm", "tokens_per_sec", "model_gflops", "train/loss", "data/share"]) assert.equal(smoothable(k), true, k);
  for (const k of ["lr", "learning_rate", "train/lr", "batch_size", "val_loss", "val_ppl", "eval/lambada/acc", "eval_loss", "data/epochs", "epoch"]) assert.equal(smoothable(k), false, k);
});

test("accuracies and shares are known to lie in [0, 1]; their axis stays inside it", () => {
  for (const k of ["eval/lambada/acc", "eval/hellaswag/acc_norm", "val/accuracy", "data/share"]) assert.equal(unitInterval(k), true, k);
  for (const k of ["loss", "eval/lambada/perplexity", "acc_count"]) assert.equal(unitInterval(k), false, k);
  assert.deepEqual(unitBounds([0, 0, 0]), { min: 0, max: 0.1 });
  assert.deepEqual(unitBounds([]), { min: 0, max: 1 });
  assert.deepEqual(unitBounds([0.2, 0.97]), { min: 0.1, max: 1 });
});

test("a log axis labels 1-2-5 values over few decades, powers of ten over many, and something on a narrow one", () => {
  const ticks = [2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60];
  assert.deepEqual([...logLabelled(ticks)].map((i) => ticks[i]), [2, 5, 10, 20, 50]);
  const wide = [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];
  assert.deepEqual([...logLabelled(wide)].map((i) => wide[i]), [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1]);
  const narrow = [2.1, 2.2, 2.3, 2.4, 2.6, 2.7, 2.8, 2.9];
  assert.ok(logLabelled(narrow).size >= 2);
  assert.equal(logFloor(2.787), 2);
  assert.equal(logFloor(0.00031), 0.0002);
  assert.equal(logCeil(50.1), 100);
  assert.equal(logCeil(8.2), 10);
  assert.equal(logCeil(5), 5);
});

test("a series is constant when every point holds one value, over three points at least, reference lines aside", () => {
  const line = (values: (number | null)[], extra: Partial<ChartLine> = {}): ChartLine => ({
    label: "x", color: "#fff", xMap: xMap("step"), points: values.map((value, step) => spanOfPoint({ step, value, wallTime: step })), ...extra,
  });
  assert.equal(constantValue([line([8, 8, 8])]), 8);
  assert.equal(constantValue([line([8, 8])]), null, "two points are too few");
  assert.equal(constantValue([line([8, 8, 16])]), null);
  assert.equal(constantValue([line([8, null, 8])]), null, "a NaN reading is not constant");
  assert.equal(constantValue([line([0, 0, 0]), line([0.25, 0.25], { reference: true })]), 0);
  assert.equal(constantValue([line([8, 8, 8]), line([4, 4, 4])]), null, "two runs with different constants");
});
