import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { browserTests, SCREENSHOTS } from "../helpers/browser";
import { tempDataDir, TINY, waitFor } from "../helpers/server";

const e2e = browserTests();
const SHOTS = process.env.FORM_SHOTS ?? SCREENSHOTS;

test("the run form shows every error beside its field in one round, refuses a run that cannot fit with the numbers, and locks a fork's shape", { skip: e2e.skip }, async () => {
  const server = await e2e.start(tempDataDir("e2e-form"));
  const browser = await e2e.browser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  const text = async (testid: string) => (await page.textContent(`[data-testid=${testid}]`)) ?? "";

  await page.goto(`${server.url}/runs/new`);
  await waitFor("the backend probe", async () => ((await page.textContent("#field-backend-hint")) ?? "").startsWith("Here auto takes"), 90_000);
  await page.fill("#field-name", "");
  await page.fill("#field-lr", "abc");
  await page.fill("#field-nHead", "3");
  await page.fill("#field-steps", "100");
  await page.fill("#field-warmupSteps", "500");
  await page.fill("#field-mixWeights", '{"code": -1, "nope": 2}');
  // Before any submit nothing is highlighted, so the estimate names what to fix.
  const blocked = await text("estimate-blocked");
  assert.doesNotMatch(blocked, /highlighted/);
  for (const label of ["Name", "Learning rate", "Width", "Warmup steps", "Mixture override"]) assert.ok(blocked.includes(label), `${label} in "${blocked}"`);

  await page.click("button[type=submit]");
  assert.match(await text("error-name"), /name/i);
  assert.match(await text("error-lr"), /number/);
  assert.match(await text("error-dModel"), /divisible by heads \(3\)/, "a cross-field error in the same round as the field errors");
  assert.match(await text("error-warmupSteps"), /shorter than the run/);
  assert.equal(await text("error-mixWeights"), '"code": At least 0; "nope": unknown domain; this dataset has web, books, dialogue, code');
  assert.equal(new URL(page.url()).pathname, "/runs/new");
  await page.screenshot({ path: path.join(SHOTS, "form-errors-1400.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 900 });
  await page.screenshot({ path: path.join(SHOTS, "form-errors-390.png"), fullPage: true });
  await page.setViewportSize({ width: 1400, height: 1000 });

  // The new user's config: the form refuses it with the numbers, unless "Try anyway" is ticked.
  for (const [field, value] of Object.entries({ name: "huge", lr: "0.001", steps: "300", warmupSteps: "20", mixWeights: "{}", nLayer: "48", nHead: "16", dModel: "2048", contextLength: "2048", batchSize: "512" }))
    await page.fill(`#field-${field}`, value);
  await page.selectOption("#field-backend", "wasm");
  assert.match(await text("memory-warning"), /^This run needs ~13\.\d TB, this machine has [\d.]+ GiB; the wasm backend can address 4 GiB\.$/);
  await page.click("button[type=submit]");
  assert.match(await text("error-ignoreMemoryCheck"), /^This run needs ~13\.\d TB, this machine has [\d.]+ GiB; the wasm backend can address 4 GiB\. .*"Try anyway"$/);
  assert.equal(await page.locator("[data-testid^=error-]").count(), 1, "the memory refusal is the only error left");
  assert.deepEqual(await server.api.run.list.query(), []);
  await page.locator("[data-testid=memory-check]").scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SHOTS, "form-memory-1400.png") });
  await page.check("[data-testid=try-anyway]");
  assert.equal(await page.locator("[data-testid=error-ignoreMemoryCheck]").count(), 0, "ticking try anyway lifts the refusal");
  assert.match(await text("memory-warning"), /needs ~13\.\d TB/, "the numbers stay in view");
  await page.setViewportSize({ width: 390, height: 900 });
  await page.locator("[data-testid=memory-check]").scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SHOTS, "form-memory-390.png") });

  // A fork keeps its parent's shape: those fields are locked, with the reason. (The parent waits on a queue no worker serves.)
  const parent = await server.api.run.create.mutate({ ...TINY, name: "parent", queue: "nowhere" });
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`${server.url}/runs/new?fork=${parent.id}@0`);
  await page.waitForSelector("[data-testid=fork-banner]");
  for (const field of ["nLayer", "nHead", "dModel", "contextLength"]) {
    assert.equal(await page.locator(`#field-${field}`).isEditable(), false, `${field} is locked`);
    assert.match((await page.textContent(`#field-${field}-hint`)) ?? "", /^Locked: a fork keeps parent's/);
  }
  assert.equal(await page.locator("#field-arch").isDisabled(), true);
  assert.equal(await page.locator("#field-lr").isEditable(), true, "the rest stays editable");
  await page.locator("#field-arch").evaluate((el) => el.closest("fieldset")!.scrollIntoView());
  await page.screenshot({ path: path.join(SHOTS, "form-fork-1400.png") });
  assert.deepEqual(pageErrors, []);
});
