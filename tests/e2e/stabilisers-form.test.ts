import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { browserTests, SCREENSHOTS } from "../helpers/browser";
import { tempDataDir, waitFor } from "../helpers/server";

const e2e = browserTests();

test("the run form's Stabilisers group sends zLoss, qkNorm and the soft-caps (empty = no cap), and refuses a cap of 0", { skip: e2e.skip }, async () => {
  const server = await e2e.start(tempDataDir("e2e-stabilisers"));
  const browser = await e2e.browser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(`${server.url}/runs/new`);
  await waitFor("the backend probe", async () => ((await page.textContent("#field-backend-hint")) ?? "").startsWith("Here auto takes"), 120_000);
  await page.waitForSelector("#field-zLoss", { timeout: 120_000 });
  assert.equal(await page.inputValue("#field-logitSoftCap"), "", "no cap by default: an empty input");
  assert.match((await page.textContent("#field-zLoss-hint")) ?? "", /PaLM: 1e-4/);
  for (const [field, value] of Object.entries({ name: "stable", zLoss: "1e-4", logitSoftCap: "0" })) await page.fill(`#field-${field}`, value);
  await page.selectOption("#field-qkNorm", "true");
  await page.selectOption("#field-backend", "wasm");
  await page.locator("#field-zLoss").evaluate((el) => el.closest("fieldset")!.scrollIntoView());
  await page.click("button[type=submit]");
  assert.match((await page.textContent("[data-testid=error-logitSoftCap]")) ?? "", /Above 0/);
  await page.screenshot({ path: path.join(SCREENSHOTS, "form-stabilisers-error-1400.png") });
  await page.fill("#field-logitSoftCap", "30");
  // A queue no worker serves: the run is created and waits, and nothing trains here.
  await page.selectOption("#field-queue", { label: "Another queue…" });
  await page.fill("#field-queue-name", "nowhere");
  await page.locator("#field-zLoss").evaluate((el) => el.closest("fieldset")!.scrollIntoView());
  await page.screenshot({ path: path.join(SCREENSHOTS, "form-stabilisers-1400.png") });
  await Promise.all([page.waitForURL(/\/runs\/(?!new)[^/]+$/), page.click("button[type=submit]")]);
  const [run] = await server.api.run.list.query();
  const config = (await server.api.run.get.query({ id: run.id })).config as Record<string, unknown>;
  assert.deepEqual([config.zLoss, config.qkNorm, config.logitSoftCap, config.attnSoftCap], [1e-4, true, 30, null]);
  assert.equal(config.queue, "nowhere");
  assert.deepEqual(pageErrors, []);
});
