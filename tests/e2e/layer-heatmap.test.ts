import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { browserTests, SCREENSHOTS } from "../helpers/browser";
import { prepareSmall, tempDataDir, TINY, waitFor } from "../helpers/server";

/** Past the loss detector's warmup, as in tests/e2e/alerts.test.ts. */
const SPIKE_STEP = 120;
const e2e = browserTests();

test("the Layers heatmap has a row per layer, fills in live, reads a cell on hover, and marks the layer that went first at a spike", { skip: e2e.skip }, async () => {
  const server = await e2e.start(tempDataDir("e2e-layers"), { ENABLE_FAULT_INJECTION: "1" });
  const dataset = await prepareSmall(server);
  const browser = await e2e.browser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  // A loss × 8 at the spike step scales that step's gradients × 8 in every layer.
  const run = await server.api.run.create.mutate({
    ...TINY, nLayer: 2, nHead: 2, name: "e2e-layers", dataset, steps: 400, layerStatsInterval: 2,
    faults: [{ kind: "loss_scale", step: SPIKE_STEP, factor: 8 }],
  });
  await page.goto(`${server.url}/runs/${run.id}`);
  const heatmap = page.locator("[data-testid=layer-heatmap-grad_norm]");
  await heatmap.waitFor({ timeout: 120_000 });
  assert.deepEqual(await heatmap.locator("[data-testid=layer-row]").evaluateAll((els) => els.map((e) => e.getAttribute("data-row"))), ["emb", "00", "01", "lnf"]);
  const canvas = heatmap.locator("[data-testid=layer-canvas]");
  assert.equal(await canvas.getAttribute("data-rows"), "4");
  const columns = async () => Number(await canvas.getAttribute("data-columns"));
  const before = await columns();
  await waitFor("new stats steps to appear live", async () => (await columns()) > before, 60_000);

  // The hover reads the row, the step and the value of the cell under the pointer (row 01, the third).
  const box = (await canvas.boundingBox())!;
  await canvas.hover({ position: { x: box.width * 0.5, y: box.height * (2.5 / 4) } });
  const hover = page.locator("[data-testid=layer-hover]");
  await waitFor("the hover read-out", async () => /^block 01 · step \d+ · \d[\d.e+-]*$/.test((await hover.textContent()) ?? ""), 5_000)
    .catch(async (e) => assert.fail(`${(e as Error).message}: ${await hover.textContent()}`));

  // The injected spike's note (a tiny run may also raise alerts of its own before it).
  const firstLayer = page.locator("[data-testid=alert-first-layer]", { hasText: `at step ${SPIKE_STEP}` }).first();
  await firstLayer.waitFor({ timeout: 120_000 });
  assert.match((await firstLayer.textContent()) ?? "", new RegExp(`^first: (block 0[01]|embeddings|final norm) grad norm [\\d.]+× its median at step ${SPIKE_STEP}$`));
  await page.locator("[data-testid=chart-section-layers]").screenshot({ path: path.join(SCREENSHOTS, "layers-grad-norm.png") });

  // Per-head entropy: a row per block and head.
  await page.selectOption("[data-testid=layer-stat]", "attn_entropy");
  const entropy = page.locator("[data-testid=layer-heatmap-attn_entropy]");
  await entropy.waitFor();
  assert.deepEqual(await entropy.locator("[data-testid=layer-row]").evaluateAll((els) => els.map((e) => e.getAttribute("data-row"))), ["00.h00", "00.h01", "01.h00", "01.h01"]);
  await page.locator("[data-testid=chart-section-layers]").screenshot({ path: path.join(SCREENSHOTS, "layers-entropy.png") });
  await server.api.run.stop.mutate({ id: run.id });
  assert.deepEqual(problems, []);
});
