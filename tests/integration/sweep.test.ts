import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";

const dataDir = tempDataDir("sweep");
let server: TestServer;
let dataset: string;
before(async () => {
  server = await startServer(dataDir, { MAX_TRAINERS: "1" });
  dataset = await prepareSmall(server);
});
after(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const { steps: _steps, ...tinyBase } = TINY;
const grid = () => ({
  name: "tiny",
  base: { ...tinyBase, dataset, evals: [], evalInterval: 20 },
  budgets: [4e8, 1e9],
  sizes: [{ nLayer: 1, dModel: 16 }, { nLayer: 1, dModel: 32 }, { nLayer: 2, dModel: 32 }],
  minSteps: 20,
});

test("sweep.plan previews the grid: 6·N·D ≈ C with D = steps × batch × context, short cells skipped with the reason", async () => {
  const plan = await server.api.sweep.plan.query(grid());
  assert.equal(plan.project, "sweep-tiny");
  assert.equal(plan.cells.length, 6);
  const perStep = TINY.batchSize * TINY.contextLength;
  for (const c of plan.cells) {
    assert.equal(c.tokens, c.steps * perStep);
    // Whole steps: the planned compute is within half a step of the budget.
    assert.ok(Math.abs(c.compute - c.budget) <= 0.5 * 6 * c.params * perStep + 1, JSON.stringify(c));
    assert.equal(c.nHead, c.dModel / 16, "the base head width (32 / 2 = 16) is kept");
    if (c.steps < 20) assert.match(c.skip ?? "", /fewer than 20: the budget is too small/);
    else assert.equal(c.skip, null);
  }
  const small = plan.cells.filter((c) => c.budget === 4e8);
  assert.ok(small[0].params < small[1].params && small[1].params < small[2].params, "sizes in the order given grow");
  assert.ok(plan.cells.some((c) => c.skip) && plan.cells.some((c) => !c.skip), `a grid with both kinds: ${plan.cells.map((c) => c.steps)}`);
});

test("sweep.create queues the runs under MAX_TRAINERS, files them under the project with C: and N: labels, and they train to the end", async () => {
  const plan = await server.api.sweep.plan.query(grid());
  const made = await server.api.sweep.create.mutate(grid());
  const runnable = plan.cells.filter((c) => !c.skip);
  assert.equal(made.runIds.length, runnable.length);
  assert.equal(made.skipped.length, plan.cells.length - runnable.length);
  const runs = await Promise.all(made.runIds.map((id) => server.api.run.get.query({ id })));
  const active = runs.filter((r) => r.status === "running" || r.status === "queued");
  assert.equal(active.length, runs.length);
  assert.ok(runs.filter((r) => r.status === "running").length <= 1, "at most MAX_TRAINERS = 1 running");
  for (const [i, r] of runs.entries()) {
    assert.equal(r.project, "sweep-tiny");
    assert.ok(r.labels.includes(`C:${runnable[i].budget.toExponential().replace("e+", "e")}`), r.labels.join());
    assert.ok(r.labels.some((l) => l.startsWith("N:")));
    assert.equal(r.config.steps, runnable[i].steps);
    assert.equal(r.config.dModel, runnable[i].dModel);
  }
  const vocab = await server.api.run.vocabulary.query();
  assert.equal(vocab.projects.find((p) => p.name === "sweep-tiny")?.runs, runs.length, JSON.stringify(vocab.projects));
  // The runs finish one after another; then the panel's inputs have N, D and a val loss for each.
  await waitFor("every sweep run completed", async () => {
    const now = await Promise.all(made.runIds.map((id) => server.api.run.get.query({ id })));
    const failed = now.find((r) => r.status === "failed" || r.status === "crashed");
    if (failed) throw new Error(`run ${failed.name} ${failed.status}: ${failed.error}`);
    return now.every((r) => r.status === "completed");
  }, 240_000);
  const inputs = await server.api.compare.scaling.query({ runIds: made.runIds });
  for (const [i, x] of inputs.entries()) {
    assert.equal(x.params, runnable[i].params, "the trainer's own count is lib/estimates paramCount");
    assert.equal(x.tokens, runnable[i].tokens);
    assert.ok(x.bestValLoss !== null && x.bestValLoss > 0 && x.bestValLoss < 10, String(x.bestValLoss));
  }
});

test("bad sweep input is refused with a clear message and creates nothing", async () => {
  const before = (await server.api.run.list.query()).length;
  const refused = async (input: unknown, message: RegExp) => {
    await assert.rejects(server.api.sweep.create.mutate(input as never), (e: Error) => { assert.match(e.message, message); return true; });
  };
  await refused({ ...grid(), budgets: [] }, /at least one compute budget/);
  await refused({ ...grid(), budgets: [1e9, 1e9] }, /Each budget once/);
  await refused({ ...grid(), budgets: Array.from({ length: 9 }, (_, i) => 1e9 * (i + 1)) }, /At most 8 budgets/);
  await refused({ ...grid(), sizes: [] }, /at least one model size/);
  await refused({ ...grid(), name: "Bad Name!" }, /A sweep name/);
  await refused({ ...grid(), name: "other", sizes: [{ nLayer: 1, dModel: 30, nHead: 4 }] }, /not divisible by 4 heads/);
  await refused({ ...grid(), name: "other", budgets: [1e6] }, /No cell of the grid can run/);
  await refused({ ...grid(), name: "other", base: { ...grid().base, lr: -1 } }, /lr: At least/);
  await refused(grid(), /already has \d+ runs/);
  assert.equal((await server.api.run.list.query()).length, before);
});
