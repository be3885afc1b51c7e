import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { Rng } from "../../lib/rng";
import { RunConfig } from "../../lib/run-config";
import { optimalSplit, predictND, type ParametricLaw } from "../../lib/scaling";
import { migrate, openDb } from "../../server/db/db";
import { loadEnv } from "../../server/env";
import { MetricWriter } from "../../server/services/metrics/metrics";
import { browserTests, SCREENSHOTS } from "../helpers/browser";
import { databaseEnv } from "../helpers/db";
import { tempDataDir, waitFor } from "../helpers/server";

const e2e = browserTests();
const LAW: ParametricLaw = { E: 2.1, A: 60, B: 150, alpha: 0.45, beta: 0.3 };
const BATCH = 8;
const CONTEXT = 64;

/**
 * Finished runs of an IsoFLOP sweep (3 budgets × 3 sizes) written as the server stores a
 * trainer's: the run row with its parameter count and last step, its val_loss points. Their
 * losses follow LAW with 0.5% noise. Plus a queued run and a finished one without val_loss,
 * which the panel leaves out with the reason.
 */
async function seed(dataDir: string): Promise<string[]> {
  const env = loadEnv({ DATA_DIR: dataDir, ...(await databaseEnv(dataDir)) });
  await migrate(env);
  const db = openDb(env);
  const writer = new MetricWriter(env.databaseUrl, () => {}, 1);
  const rng = new Rng(5);
  const ids: string[] = [];
  const make = async (name: string, params: number, steps: number, status: string) => {
    const config = RunConfig.parse({ name, steps, batchSize: BATCH, contextLength: CONTEXT, warmupSteps: 1 });
    const run = await db.run.create({ data: { name, config: JSON.stringify(config), token: "t".repeat(32), totalSteps: steps, step: status === "completed" ? steps : 0, status, paramCount: params } });
    ids.push(run.id);
    return run.id;
  };
  for (const c of [1e11, 1e12, 1e13]) {
    const opt = optimalSplit(LAW, c)!.params;
    for (const f of [1 / 4, 1, 4]) {
      const params = Math.round(opt * f);
      const steps = Math.round(c / (6 * params * BATCH * CONTEXT));
      const tokens = steps * BATCH * CONTEXT;
      const id = await make(`iso-${c.toExponential(0)}-${Math.round(f * 4)}`, params, steps, "completed");
      const loss = predictND(LAW, params, tokens) * Math.exp(0.005 * rng.normal());
      await writer.enqueue(id, [{ step: Math.floor(steps / 2), key: "val_loss", value: loss * 1.1, wallTime: 1.7e9 }, { step: steps, key: "val_loss", value: loss, wallTime: 1.7e9 + 1 }]);
    }
  }
  await make("still-queued", 50_000, 100, "queued");
  await make("no-eval", 60_000, 100, "completed");
  await writer.close();
  await db.$disconnect();
  return ids;
}

test("the compare page's scaling panel fits ≥5 finished runs: constants with intervals, chart, budget, optimal split, left-out runs", { skip: e2e.skip }, async () => {
  const dataDir = tempDataDir("e2e-scaling");
  const ids = await seed(dataDir);
  const server = await e2e.start(dataDir);
  const browser = await e2e.browser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  try {
    await page.goto(`${server.url}/compare?runs=${ids.join(",")}`);
    const panel = page.locator("[data-testid=scaling-panel]");
    await panel.locator("[data-testid=scaling-constants]").waitFor({ timeout: 60_000 });
    assert.equal(await panel.locator("[data-testid=scaling-run]").count(), 9);
    const excluded = await panel.locator("[data-testid=scaling-excluded]").innerText();
    assert.match(excluded, /still-queued: not finished \(queued\)/);
    assert.match(excluded, /no-eval: no val_loss logged/);
    // α's value and its bootstrap interval.
    const alpha = await panel.locator("[data-testid=scaling-nd-alpha]").innerText();
    const [value, lo, hi] = (alpha.match(/[0-9.]+(?:e-?\d+)?/g) ?? []).map(Number);
    assert.ok(lo <= value && value <= hi, alpha);
    assert.ok(Math.abs(value - LAW.alpha) < 0.15, `α ${value} vs ${LAW.alpha}`);
    assert.match(await panel.locator("[data-testid=scaling-c]").innerText(), /γ/);
    // The default budget is 10× the largest run; a typed one moves the split.
    const tpp1 = await panel.locator("[data-testid=scaling-tpp]").innerText();
    await panel.locator("[data-testid=scaling-budget]").fill("1e16 FLOPs");
    await waitFor("a new split", async () => (await panel.locator("[data-testid=scaling-tpp]").innerText()) !== tpp1, 10_000);
    assert.match(await panel.locator("[data-testid=scaling-nopt]").innerText(), /N ≈ [0-9.]+ [KM]/);
    await panel.locator("[data-testid=scaling-chart] canvas").waitFor();
    await panel.screenshot({ path: path.join(SCREENSHOTS, "scaling-panel.png") });
    await panel.locator("[data-testid=scaling-budget]").fill("plenty");
    assert.match(await panel.locator("[data-testid=scaling-budget-error]").innerText(), /not a compute budget/);
    // The panel links the sweep launcher; its preview comes from sweep.plan.
    await panel.locator("[data-testid=sweep-link]").click();
    await page.locator("[data-testid=sweep-preview]").waitFor({ timeout: 30_000 });
    assert.equal(await page.locator("[data-testid=sweep-cell]").count(), 9);
    await page.screenshot({ path: path.join(SCREENSHOTS, "sweep-form.png"), fullPage: true });
    await page.locator("[data-testid=sweep-sizes]").fill("2x64, nonsense");
    assert.match(await page.locator("[data-testid=sweep-error]").innerText(), /not layers×width/);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
