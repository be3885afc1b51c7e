// Spike forensics in the browser: from a loss spike in the run's alert list, "Inspect batch"
// rebuilds that step's batch (progress, then rows by loss with their documents and the per-layer
// gradient norms against their medians), a document is ticked, and the fork made from the panel
// carries the exclusion and goes on from the checkpoint before the spike.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { browserTests, SCREENSHOTS } from "../helpers/browser";
import { prepareSmall, tempDataDir, TINY, waitFor } from "../helpers/server";

const e2e = browserTests();
const SPIKE_STEP = 120;

test("inspect a spike's batch from its alert, exclude a document and fork with the exclusion", { skip: e2e.skip }, async () => {
  const dataDir = tempDataDir("e2e-forensics");
  const server = await e2e.start(dataDir, { ENABLE_FAULT_INJECTION: "1" });
  const api = server.api;
  const dataset = await prepareSmall(server);
  const run = await api.run.create.mutate({
    ...TINY, dataset, name: "spiky", steps: 160, batchSize: 8, checkpointInterval: 50, evals: [], layerStatsInterval: 1,
    faults: [{ kind: "loss_scale", step: SPIKE_STEP, factor: 8 }],
  });
  await waitFor("the run completed", async () => (await api.run.get.query({ id: run.id })).status === "completed", 240_000);
  const spike = (await api.alert.list.query({ runId: run.id })).find((a) => a.type === "loss_spike") ?? assert.fail("no loss_spike alert");
  assert.equal(spike.step, SPIKE_STEP);
  const browser = await e2e.browser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${server.url}/runs/${run.id}`);
  await page.locator(`[data-testid=alert-row][data-alert-id="${spike.id}"] [data-testid=alert-inspect]`).click();
  const panel = page.locator("[data-testid=batch-forensics]");
  await panel.locator("[data-testid=forensics-result]").waitFor({ timeout: 120_000 });
  assert.equal(await panel.locator("[data-testid=forensics-step]").inputValue(), String(SPIKE_STEP));
  const rows = panel.locator("[data-testid=forensics-row]");
  assert.equal(await rows.count(), 8);
  const losses = (await panel.locator("[data-testid=row-loss]").allTextContents()).map(Number);
  assert.deepEqual(losses, [...losses].sort((a, b) => b - a), "rows sorted by loss, highest first");
  assert.match((await panel.textContent()) ?? "", /loss with the weights of step 100/);
  // The trainer's own per-layer gradient norms: the ×8 loss at the spike is ×8 in every row, far above each row's median.
  const layerRows = await panel.locator("[data-testid=forensics-layers] tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
  assert.deepEqual(layerRows.map((r) => r[0]), ["emb", "00", "lnf"]);
  for (const [row, , , ratio] of layerRows) assert.ok(Number(ratio) >= 2, `${row}: ${ratio}× its median`);
  assert.equal(await panel.locator("[data-testid=forensics-layers] td.text-rose-300").count(), 3);
  await rows.first().locator("details summary").first().click();
  assert.ok(((await rows.first().locator("pre").first().textContent()) ?? "").length > 0, "decoded text");

  const first = rows.first();
  const domain = (await first.getAttribute("data-domain"))!;
  const docLabel = (await first.locator("[data-testid=exclude-doc] + span").first().textContent())!;
  await first.locator("[data-testid=exclude-doc]:not([disabled])").first().check();
  await panel.screenshot({ path: path.join(SCREENSHOTS, "batch-forensics.png") });
  await panel.locator("[data-testid=forensics-fork]").click();
  await panel.locator("[data-testid=forensics-forked]").waitFor({ timeout: 30_000 });

  const forks = await api.run.forks.query({ id: run.id });
  assert.equal(forks.length, 1);
  const child = await api.run.get.query({ id: forks[0].id });
  assert.deepEqual(child.config.initFrom, { runId: run.id, step: 100, continue: true });
  assert.equal(child.config.exclude.documents.length, 1);
  const [doc] = child.config.exclude.documents;
  assert.equal(`${doc.domain}@${doc.start}`, docLabel.trim());
  assert.equal(doc.domain, domain);
  assert.deepEqual(problems, []);
  await api.run.stop.mutate({ id: child.id }).catch(() => {});
});
