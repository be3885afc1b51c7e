import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { browserTests, SCREENSHOTS } from "../helpers/browser";
import { prepareSmall, tempDataDir, waitFor, wasmLabel } from "../helpers/server";


const e2e = browserTests();

test("fill in the form, start a run, and watch the loss chart grow live", { skip: e2e.skip }, async () => {
  const server = await e2e.start(tempDataDir("e2e"));
  const dataset = await prepareSmall(server);
  const browser = await e2e.browser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));

  await page.goto(`${server.url}/runs/new`);
  await page.fill("#field-name", "e2e-run");
  // A bad value gets a message beside its field, and nothing is created.
  await page.fill("#field-nHead", "3");
  await page.fill("#field-dModel", "32");
  await page.click("button[type=submit]");
  const error = await page.textContent("[data-testid=error-dModel]");
  assert.match(error ?? "", /divisible by heads/);
  assert.equal(new URL(page.url()).pathname, "/runs/new");
  assert.deepEqual(await server.api.run.list.query(), []);
  await page.screenshot({ path: path.join(SCREENSHOTS, "form-error.png"), fullPage: true });

  // The form says what auto takes here; a backend that cannot start here is an error beside its field, and the server refuses it too.
  const report = await server.api.backends.query();
  const hint = await waitFor("the backend probe's hint", async () => {
    const text = (await page.textContent("#field-backend-hint")) ?? "";
    return text.startsWith("Here auto takes") ? text : null;
  }, 60_000);
  assert.match(hint, new RegExp(`^Here auto takes ${report.auto}`));
  assert.equal(await page.textContent("#field-backend option[value=auto]"), `auto → ${report.auto} here`);
  await page.locator("#field-backend").screenshot({ path: path.join(SCREENSHOTS, "form-backend-auto.png") });
  await page.locator("#field-backend").evaluate((el) => el.closest("fieldset")!.scrollIntoView());
  await page.screenshot({ path: path.join(SCREENSHOTS, "form-backend-auto-section.png") });
  const missing = report.backends.find((b) => !b.available);
  if (missing) {
    await page.fill("#field-nHead", "2");
    await page.selectOption("#field-backend", missing.name);
    assert.equal(await page.textContent("[data-testid=error-backend]"), `${missing.name} cannot start on this machine: ${missing.detail}`);
    await page.click("button[type=submit]");
    await page.waitForSelector("button[type=submit]:not([disabled])");
    assert.equal(new URL(page.url()).pathname, "/runs/new");
    assert.deepEqual(await server.api.run.list.query(), []);
    await page.screenshot({ path: path.join(SCREENSHOTS, "form-backend.png"), fullPage: true });
  }

  for (const [field, value] of Object.entries({ nLayer: "1", nHead: "2", contextLength: "32", batchSize: "4", steps: "3000", evalInterval: "25", backend: "wasm", dataset })) {
    if (field === "backend" || field === "dataset") await page.selectOption(`#field-${field}`, value);
    else await page.fill(`#field-${field}`, value);
  }
  await page.click("button[type=submit]");
  await page.waitForURL(/\/runs\/[a-z0-9]+$/);

  const chart = page.locator('[data-testid="chart-loss"]');
  const points = async () => Number(await chart.getAttribute("data-points"));
  const firstCount = await waitFor("first points on the loss chart", points, 120_000);
  const grown = await waitFor("the loss chart to grow", async () => ((await points()) > firstCount + 20 ? points() : 0), 120_000);
  assert.ok(grown > firstCount);
  assert.equal(await page.textContent("[data-testid=run-backend]"), `backend: ${wasmLabel()}`);
  assert.match((await page.textContent("[data-testid=run-status]")) ?? "", /running/);
  await page.screenshot({ path: path.join(SCREENSHOTS, "run-page.png"), fullPage: true });

  await page.goto(server.url);
  await page.waitForSelector("[data-testid=runs-table]");
  assert.match((await page.textContent("[data-testid=runs-table]")) ?? "", /e2e-run/);
  await page.screenshot({ path: path.join(SCREENSHOTS, "runs.png"), fullPage: true });

  await page.goto(`${server.url}/datasets/${dataset}`);
  await page.waitForSelector("[data-testid=chart-stages] canvas");
  assert.match((await page.textContent("[data-testid=domains]")) ?? "", /books/);
  await page.screenshot({ path: path.join(SCREENSHOTS, "dataset.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
});
