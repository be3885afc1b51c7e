import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import type { Page } from "playwright-core";
import { browserTests, SCREENSHOTS } from "../helpers/browser";
import { seedRun } from "../helpers/seeded-run";
import { startServer, tempDataDir, waitFor, type TestServer } from "../helpers/server";

const e2e = browserTests();
/** Screenshots of every page at both widths, for looking at, beside the other tests' pictures. */
const SHOTS = path.join(SCREENSHOTS, "pages");
const restarted: TestServer[] = [];
after(async () => {
  for (const s of restarted) await s.stop();
});

const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);
const current = (page: Page) => page.locator("[data-testid=nav-links] [aria-current=page]").allTextContents();

test("app shell: titles, current page, 404s, a phone-width header, keyboard shortcuts, and the lost-connection banner", { skip: e2e.skip }, async () => {
  const dataDir = tempDataDir("e2e-shell");
  const runId = await seedRun(dataDir, "shell-run", "failed");
  const server = await e2e.start(dataDir);
  const browser = await e2e.browser();
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  fs.mkdirSync(SHOTS, { recursive: true });

  const pages: [string, string, string | null][] = [
    ["runs", "/", "Runs · Pretrain"],
    ["run", `/runs/${runId}`, "shell-run · Pretrain"],
    ["compare", `/compare?runs=${runId}`, "Compare · Pretrain"],
    ["datasets", "/datasets", "Datasets · Pretrain"],
    ["new-dataset", "/datasets/new", "New dataset · Pretrain"],
    ["benchmarks", "/evals", "Benchmarks · Pretrain"],
    ["alerts", "/alerts", "Alerts · Pretrain"],
    ["workers", "/workers", "Workers · Pretrain"],
    ["connect", "/connect", "Connect a trainer · Pretrain"],
    ["compare-checkpoints", `/compare/checkpoints?c=${runId}@0`, "Compare checkpoints · Pretrain"],
    ["new-run", "/runs/new", "New run · Pretrain"],
    ["keys", "/settings/keys", "API keys · Pretrain"],
    ["not-found", "/no-such-page", "Page not found · Pretrain"],
    ["run-not-found", "/runs/no-such-run", "Run not found · Pretrain"],
  ];
  const wideOnes: string[] = [];
  for (const [name, url, title] of pages) {
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.goto(`${server.url}${url}`);
    await page.waitForLoadState("networkidle");
    if (title) assert.equal(await page.title(), title, `the tab title of ${url}`);
    await page.screenshot({ path: path.join(SHOTS, `${name}-1400.png`), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const width = await overflow(page);
    if (width > 390) wideOnes.push(`${url}: ${width}px`);
    await page.screenshot({ path: path.join(SHOTS, `${name}-390.png`), fullPage: true });
  }
  assert.deepEqual(wideOnes, [], "no page is wider than a 390 px phone");

  // The phone header folds its links into a menu.
  await page.goto(server.url);
  assert.equal(await page.locator("[data-testid=nav-datasets]").isVisible(), false);
  await page.click("[data-testid=menu-button]");
  await page.locator("[data-testid=nav-datasets]").waitFor();
  await page.screenshot({ path: path.join(SHOTS, "menu-open-390.png") });
  await page.click("[data-testid=nav-datasets]");
  await page.waitForURL(/\/datasets$/);
  // The URL changes first; the menu closes when the new page's path reaches it.
  await waitFor("the menu closes on navigation", async () => (await page.locator("[data-testid=site-menu]").getAttribute("data-open")) === "false", 5_000);
  await page.setViewportSize({ width: 1400, height: 900 });

  // The nav marks where one is.
  assert.deepEqual(await current(page), ["Datasets"]);
  await page.goto(`${server.url}/runs/${runId}`);
  assert.deepEqual(await current(page), ["Runs"]);
  await page.goto(`${server.url}/runs/new`);
  assert.deepEqual(await current(page), []);
  assert.equal(await page.getAttribute("[data-testid=nav-new-run]", "aria-current"), "page");

  // 404s: styled, with a way back.
  const missing = await page.goto(`${server.url}/no-such-page`);
  assert.equal(missing?.status(), 404);
  await page.locator("[data-testid=not-found]").waitFor();
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(background, "rgb(255, 255, 255)");
  await page.click("[data-testid=not-found-home]");
  await page.waitForURL(`${server.url}/`);
  const noRun = await page.goto(`${server.url}/runs/no-such-run`);
  assert.equal(noRun?.status(), 404);
  assert.match((await page.textContent("[data-testid=not-found]")) ?? "", /No such run/);

  // Keyboard shortcuts: ? lists them, Esc closes, g d goes, / focuses the search, typing is never a shortcut.
  await page.goto(server.url);
  await page.locator("[data-testid=alert-badge][data-loading=false]").waitFor();
  await page.keyboard.press("?");
  await page.locator("[data-testid=shortcuts-overlay]").waitFor();
  await page.screenshot({ path: path.join(SHOTS, "shortcuts-1400.png") });
  await page.keyboard.press("Escape");
  await page.locator("[data-testid=shortcuts-overlay]").waitFor({ state: "detached" });
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.type), "search");
  await page.keyboard.type("n?gd");
  assert.equal(await page.inputValue("input[type=search]"), "n?gd");
  assert.equal(new URL(page.url()).pathname, "/");
  assert.equal(await page.locator("[data-testid=shortcuts-overlay]").count(), 0);
  await page.evaluate(() => (document.activeElement as HTMLElement).blur());
  await page.keyboard.press("g");
  await page.keyboard.press("d");
  await page.waitForURL(/\/datasets$/);
  await page.keyboard.press("n");
  await page.waitForURL(/\/runs\/new$/);

  // The server goes away: a banner says so, a failed action says so plainly, and both clear once it is back.
  await page.goto(`${server.url}/runs/${runId}`);
  await page.locator("[data-testid=alert-badge][data-loading=false]").waitFor();
  assert.equal(await page.locator("[data-testid=connection-banner]").count(), 0);
  const port = new URL(server.url).port;
  await server.stop();
  await page.locator("[data-testid=connection-banner]").waitFor({ timeout: 15_000 });
  assert.match((await page.textContent("[data-testid=connection-banner]")) ?? "", /Connection to the server lost — retrying…/);
  await page.click("button:has-text('Resume')");
  const notice = page.locator("p[role=alert]", { hasText: "could not be reached" });
  await notice.waitFor();
  assert.equal(await page.getByText("Failed to fetch").count(), 0, "no raw fetch error");
  await page.screenshot({ path: path.join(SHOTS, "connection-lost-1400.png") });
  restarted.push(await startServer(dataDir, { PORT: port }));
  await page.locator("[data-testid=connection-banner]").waitFor({ state: "detached", timeout: 30_000 });
  await notice.waitFor({ state: "detached" });

  assert.deepEqual(problems, []);
  for (const f of fs.readdirSync(SHOTS)) fs.copyFileSync(path.join(SHOTS, f), path.join(os.tmpdir(), `shell-${f}`));
});
