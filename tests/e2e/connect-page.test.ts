import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { ADMIN, ADMIN_ENV, basic, bearer, call, signIn } from "../helpers/auth";
import { browserTests } from "../helpers/browser";
import { startServer, tempDataDir, waitFor } from "../helpers/server";

const e2e = browserTests();
let opened: ReturnType<typeof e2e.browser> | null = null;
const browserOnce = () => (opened ??= e2e.browser());
const SHOTS = process.env.UI_SHOTS_DIR ?? "/tmp";
const SECTIONS = ["mlflow", "huggingface", "lightning", "nanogpt", "tensorboard"];
const KEYED = ["mlflow-env-token", "mlflow-env-basic", "hf-env", "lightning-env", "nanogpt-env"];

const snippets = (page: Page) => page.$$eval("[data-testid^='snippet-']", (els) => Object.fromEntries(els.map((e) => [e.getAttribute("data-testid")!.slice(8), e.textContent ?? ""])));

/** The page is no wider than the window: nothing sticks out sideways (wide snippets scroll inside their box). */
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test("the Connect page fills every set-up with this server's URL and a new key that really authenticates", { skip: e2e.skip }, async () => {
  const server = await e2e.start(tempDataDir("connect-page"), { ...ADMIN_ENV, IMPORT_ROOTS: "/srv/tb-logs" });
  const browser = await browserOnce();
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const cookie = await signIn(server.url, ADMIN.login, ADMIN.password);
  const [name, value] = cookie.split("=");
  await context.addCookies([{ name, value, url: server.url }]);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));

  await page.goto(`${server.url}/`);
  assert.equal(await page.textContent("nav a[href='/connect']"), "Connect", "the header links to the page");
  await page.goto(`${server.url}/connect`);
  await page.waitForSelector("[data-testid='connect-mlflow']");
  for (const s of SECTIONS) assert.ok(await page.isVisible(`[data-testid='connect-${s}']`), `section ${s} is shown`);
  assert.ok(await page.isVisible("[data-testid='tensorboard-import']"), "the TensorBoard import form sits in its section");
  assert.match((await page.textContent("[data-testid='connect-import-roots']")) ?? "", /\/srv\/tb-logs/);

  const before = await waitFor("the snippets with this server's URL", async () => {
    const s = await snippets(page);
    return s["mlflow-env-token"]?.includes(`MLFLOW_TRACKING_URI=${server.url}`) ? s : null;
  }, 30_000);
  assert.match(before["mlflow-env-token"], /MLFLOW_TRACKING_TOKEN=<API key>/, "a placeholder until a key is made");
  assert.match(before["lightning-code"], new RegExp(`tracking_uri="${server.url}"`));
  assert.match(before["nanogpt-env"], new RegExp(`PRETRAIN_URL=${server.url}`));

  await page.fill("[data-testid='connect-experiment']", "gpt-small");
  await page.click("[data-testid='connect-key-create']");
  const key = (await (await page.waitForSelector("[data-testid='connect-key-secret']")).textContent())!.trim();
  assert.ok(key.length > 20, `a key: ${key}`);
  const after = await snippets(page);
  for (const id of KEYED) assert.ok(after[id].includes(key), `${id} carries the new key:\n${after[id]}`);
  for (const [id, text] of Object.entries(after)) assert.ok(!text.includes("<API key>"), `${id} still has the placeholder`);
  assert.match(after["hf-env"], /MLFLOW_EXPERIMENT_NAME=gpt-small/);
  assert.match(after["mlflow-env-basic"], new RegExp(`MLFLOW_TRACKING_PASSWORD=${key}`));

  assert.ok((await overflow(page)) <= 0, "nothing overflows at 1400 px");
  await page.screenshot({ path: `${SHOTS}/connect-1400.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 900 });
  await page.screenshot({ path: `${SHOTS}/connect-390.png`, fullPage: true });
  await page.screenshot({ path: `${SHOTS}/connect-390-top.png` });
  const wide = await page.evaluate(() => [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest("pre"))
    .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].slice(0, 3).join(".")} ${(e.textContent ?? "").slice(0, 40)}`));
  assert.ok((await overflow(page)) <= 0, `nothing overflows at 390 px (by ${await overflow(page)} px): ${wide.join(" | ")}`);

  // The key from the page works as the snippets send it: Bearer (MLFLOW_TRACKING_TOKEN) and Basic (USERNAME/PASSWORD).
  const viaKey = await call(server.url, "run.list", "query", undefined, bearer(key));
  assert.equal(viaKey.status, 200, JSON.stringify(viaKey.body));
  for (const auth of [bearer(key), basic(key, "trainer")]) {
    const r = await fetch(`${server.url}/api/2.0/mlflow/experiments/search`, {
      method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ view_type: "ACTIVE_ONLY", max_results: 1000 }),
    });
    assert.equal(r.status, 200, `experiments/search with the page's key: ${r.status} ${(await r.text()).slice(0, 200)}`);
  }
  const refused = await fetch(`${server.url}/api/2.0/mlflow/experiments/search`, { method: "POST", headers: { ...bearer(`${key}x`), "content-type": "application/json" }, body: "{}" });
  assert.equal(refused.status, 401, "a wrong key is refused, so the 200s above are the key's doing");

  assert.deepEqual(errors, []);
});

test("in local mode the Connect page says no key is needed and leaves the key lines out", { skip: e2e.skip }, async () => {
  const server = await startServer(tempDataDir("connect-local"));
  try {
    const browser = await browserOnce();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${server.url}/connect`);
    await page.waitForSelector("[data-testid='connect-local']");
    assert.equal(await page.isVisible("[data-testid='connect-key-create']"), false);
    const s = await waitFor("the snippets with this server's URL", async () => {
      const all = await snippets(page);
      return all["mlflow-env-token"]?.includes(server.url) ? all : null;
    }, 30_000);
    for (const [id, text] of Object.entries(s)) {
      assert.doesNotMatch(text, /MLFLOW_TRACKING_TOKEN|MLFLOW_TRACKING_PASSWORD|PRETRAIN_KEY|<API key>/, `${id} has no key line:\n${text}`);
    }
    assert.equal(s["mlflow-env-basic"], undefined, "no user name and password form without a key");
    assert.match(s["nanogpt-env"], /PRETRAIN_URL=/);
    assert.match((await page.textContent("[data-testid='connect-import-roots']")) ?? "", /No import root is set/);
  } finally {
    await server.stop();
  }
});
