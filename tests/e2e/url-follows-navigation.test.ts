import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { browserTests } from "../helpers/browser";
import { seedRun } from "../helpers/seeded-run";
import { tempDataDir } from "../helpers/server";

const e2e = browserTests();

/**
 * Holds the next page's server payload back, so a navigation stays in flight long enough for a
 * pending address-bar update (due 250 ms after a change) to land in the middle of it.
 */
async function slowNavigationTo(page: Page, pathname: string) {
  await page.route((u) => u.pathname === pathname, async (route) => {
    await new Promise((r) => setTimeout(r, 800));
    await route.continue().catch(() => {});
  });
}

async function landsOn(page: Page, pathname: string, what: string) {
  await page.waitForURL((u) => u.pathname === pathname, { timeout: 10_000 }).catch(() => {});
  // The navigation is done once the new page is on screen; a late update would undo it after.
  await page.waitForTimeout(600);
  assert.equal(new URL(page.url()).pathname, pathname, what);
}

test("a settings change's URL update never cancels a navigation begun before it lands", { skip: e2e.skip }, async () => {
  const dataDir = tempDataDir("e2e-url-follows");
  const runId = await seedRun(dataDir, "url-run");
  const server = await e2e.start(dataDir);
  const browser = await e2e.browser();
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  // React marks the elements it has hydrated; from then on a link click is a client navigation.
  const hydrated = (selector: string) => page.waitForFunction((sel) => {
    const el = document.querySelector(sel);
    return !!el && Object.keys(el).some((k) => k.startsWith("__reactProps"));
  }, selector, { polling: 10 });
  const ready = () => page.locator("[data-testid=alert-badge][data-loading=false]").waitFor();

  // A link clicked the moment the runs page has hydrated, before its first URL update is due.
  await slowNavigationTo(page, "/datasets");
  await page.goto(server.url, { waitUntil: "commit" });
  await hydrated("[data-testid=nav-datasets]");
  await page.click("[data-testid=nav-datasets]");
  await landsOn(page, "/datasets", "a nav link clicked as the runs page opens");

  // A search typed, then a keyboard shortcut before the URL has caught up.
  await page.goto(server.url);
  await ready();
  await page.fill("[data-testid=runs-search]", "url");
  await page.evaluate(() => (document.activeElement as HTMLElement).blur());
  await page.keyboard.press("g");
  await page.keyboard.press("d");
  await landsOn(page, "/datasets", "g d pressed while the search was still settling");

  // A chart setting moved on the compare page, then a nav link.
  await page.unrouteAll();
  await slowNavigationTo(page, "/");
  await page.goto(`${server.url}/compare?runs=${runId}`);
  await ready();
  await page.fill("[data-testid=smoothing]", "0.7");
  await page.click("[data-testid=nav-runs]");
  await landsOn(page, "/", "a nav link clicked while the smoothing was still settling");

  // Left alone, the URL still follows the settings.
  await page.unrouteAll();
  await page.fill("[data-testid=runs-search]", "url");
  await page.waitForURL((u) => u.searchParams.get("q") === "url", { timeout: 5_000 });
  await page.goto(`${server.url}/compare?runs=${runId}`);
  await ready();
  await page.fill("[data-testid=smoothing]", "0.7");
  await page.waitForURL((u) => u.searchParams.get("smooth") === "0.7", { timeout: 5_000 });

  assert.deepEqual(problems, []);
});
