import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { browserTests } from "../helpers/browser";
import { tempDataDir, waitFor } from "../helpers/server";

const e2e = browserTests();

const hellaswag = (i: number) =>
  JSON.stringify({ ind: i, activity_label: "Baking", ctx_a: `A man puts flour in bowl ${i}.`, ctx_b: "he", endings: ["mixes it.", "flies away.", "sings.", "sleeps."], label: 0 });

test("files from the browser's machine are uploaded (streamed) where a server path was asked for", { skip: e2e.skip }, async () => {
  const server = await e2e.start(tempDataDir("e2e-uploads"));
  const browser = await e2e.browser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));

  // An eval set: picked, uploaded, registered by the path it landed at.
  await page.goto(`${server.url}/evals`);
  await page.locator("[data-testid=eval-register] input[placeholder='hellaswag val']").fill("uploaded hs");
  await page.setInputFiles("[data-testid=eval-upload]", { name: "my hs.jsonl", mimeType: "application/json", buffer: Buffer.from(`${hellaswag(1)}\n${hellaswag(2)}\n`) });
  await page.click("[data-testid=eval-register] button");
  await page.waitForSelector("[data-testid=eval-sets] >> text=uploaded hs");
  const [set] = await server.api.evalSet.list.query();
  assert.equal(set.examples, 2);
  assert.ok(set.path.startsWith(path.join(server.dataDir, "uploads", "evalsets")), set.path);
  assert.match(set.path, /my_hs\.jsonl$/);

  // A dataset folder: files uploaded into a fresh folder under DATA_DIR/uploads, which becomes the source's path.
  await page.goto(`${server.url}/datasets/new`);
  const rows = await page.locator("[aria-label='folder path']").count();
  await page.click("text=+ Add a folder of .txt / .jsonl / .html");
  await page.setInputFiles(`[data-testid=folder-upload-${rows}]`, [
    { name: "a.txt", mimeType: "text/plain", buffer: Buffer.from("The first document of the uploaded folder.") },
    { name: "b.txt", mimeType: "text/plain", buffer: Buffer.from("The second document of the uploaded folder.") },
  ]);
  const folder = await waitFor("the uploaded folder's path", async () => {
    const v = await page.locator("[aria-label='folder path']").nth(rows).inputValue();
    return v ? v : null;
  }, 30_000);
  assert.ok(folder.startsWith(path.join(server.dataDir, "uploads", "folders", "upload-")), folder);
  assert.deepEqual(pageErrors, []);
});
