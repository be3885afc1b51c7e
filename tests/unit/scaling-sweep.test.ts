import assert from "node:assert/strict";
import { test } from "node:test";
import { paramCount } from "../../lib/estimates";
import { RunConfig } from "../../lib/run-config";
import { budgetLabel, cellConfig, cellLabels, planSweep, SweepGrid } from "../../lib/scaling/sweep";
import { SweepInput } from "../../lib/scaling/sweep-input";
import { LABEL, RunAnnotation } from "../../lib/run-annotation";

const base = RunConfig.parse({ name: "base", batchSize: 8, contextLength: 64, nHead: 2, dModel: 64 });
const grid = (over: Partial<SweepGrid> = {}) => SweepGrid.parse({ budgets: [1e12, 1e13], sizes: [{ nLayer: 2, dModel: 64 }, { nLayer: 4, dModel: 128 }, { nLayer: 1, dModel: 24 }], ...over });

test("each cell's steps make 6·N·D the budget to within half a step, with N from paramCount", () => {
  const cells = planSweep(grid({ minSteps: 1 }), base, 512);
  assert.equal(cells.length, 6);
  for (const c of cells) {
    const n = paramCount({ arch: "gpt2", nLayer: c.nLayer, dModel: c.dModel, contextLength: 64, vocabSize: 512 });
    assert.equal(c.params, n);
    assert.equal(c.tokens, c.steps * 8 * 64);
    assert.equal(c.compute, 6 * n * c.tokens);
    const perStep = 6 * n * 8 * 64;
    assert.ok(Math.abs(c.compute - c.budget) <= perStep / 2, `${c.compute} vs ${c.budget}`);
    assert.equal(c.tokensPerParam, c.tokens / n);
  }
  // Ten times the budget is ten times the steps, give or take rounding.
  const [small, big] = [cells[0], cells[3]];
  assert.ok(Math.abs(big.steps - 10 * small.steps) <= 5);
});

test("heads keep the base head width (64 / 2 = 32) where it divides; a given head count must divide", () => {
  const cells = planSweep(grid({ minSteps: 1 }), base, 512);
  assert.deepEqual(cells.slice(0, 3).map((c) => c.nHead), [2, 4, 1]);
  const bad = planSweep(grid({ minSteps: 1, sizes: [{ nLayer: 1, dModel: 30, nHead: 4 }] }), base, 512);
  assert.match(bad[0].skip!, /not divisible by 4 heads/);
});

test("too few or too many steps skip the cell with the reason", () => {
  const cells = planSweep(grid({ minSteps: 50, maxSteps: 500 }), base, 512);
  for (const c of cells) {
    if (c.steps < 50) assert.match(c.skip!, new RegExp(`^${c.steps} steps, fewer than 50`));
    else if (c.steps > 500) assert.match(c.skip!, /more than 500: the budget is too large/);
    else assert.equal(c.skip, null);
  }
  assert.ok(cells.some((c) => c.skip) && cells.some((c) => !c.skip), cells.map((c) => c.steps).join());
});

test("a cell's config is valid, with short warmup, no ramp, and labels the run annotation accepts", () => {
  const withRamp = RunConfig.parse({ ...base, batchRampStart: 2, batchRampTokens: 10_000, warmupSteps: 100 });
  const cell = planSweep(grid(), withRamp, 512).find((c) => !c.skip)!;
  const config = RunConfig.parse(cellConfig(withRamp, cell, "s1"));
  assert.equal(config.steps, cell.steps);
  assert.equal(config.batchRampStart, 0);
  assert.ok(config.warmupSteps <= cell.steps / 10);
  assert.match(config.name, /^s1 C=1e12 N=/);
  for (const l of cellLabels(cell)) assert.match(l, LABEL);
  assert.ok(RunAnnotation.safeParse({ labels: cellLabels(cell), project: "sweep-s1" }).success);
  assert.equal(budgetLabel(2.5e15), "2.5e15");
});

test("sweep input: bounded lists, unique entries, a safe name, each refusal with its message", () => {
  const ok = { name: "a", budgets: [1e12], sizes: [{ nLayer: 1, dModel: 32 }] };
  assert.ok(SweepInput.safeParse(ok).success);
  const msg = (x: unknown) => { const r = SweepInput.safeParse(x); assert.ok(!r.success); return r.error.issues.map((i) => i.message).join("; "); };
  assert.match(msg({ ...ok, budgets: [] }), /at least one compute budget/);
  assert.match(msg({ ...ok, budgets: Array.from({ length: 9 }, (_, i) => 1e12 * (i + 1)) }), /At most 8 budgets/);
  assert.match(msg({ ...ok, budgets: [1e12, 1e12] }), /Each budget once/);
  assert.match(msg({ ...ok, budgets: [10] }), /at least 1e6/);
  assert.match(msg({ ...ok, sizes: [ok.sizes[0], ok.sizes[0]] }), /Each \(layers, width\) once/);
  assert.match(msg({ ...ok, sizes: [{ nLayer: 0, dModel: 32 }] }), /At least 1/);
  assert.match(msg({ ...ok, name: "No Caps" }), /A sweep name/);
});
