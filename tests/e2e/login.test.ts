import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import type { Browser } from "playwright-core";
import { chromiumMissing, launchChromium, SCREENSHOTS } from "../helpers/browser";
import { ADMIN, ADMIN_ENV } from "../helpers/auth";
import { startServer, tempDataDir, type TestServer } from "../helpers/server";

const skip = chromiumMissing() ?? false;
if (skip) console.log(`# browser tests not run: ${skip}`);
const open: { server?: TestServer; browser?: Browser } = {};
after(async () => {
  await open.browser?.close();
  await open.server?.stop();
});
const shot = (name: string) => path.join(SCREENSHOTS, `login-${name}.png`);

test("sign-in in Chromium: a wrong password says so, the right one lands on the runs page, sign-out returns to /login", { skip }, async () => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const server = (open.server = await startServer(tempDataDir("e2e-login"), ADMIN_ENV));
  const browser = (open.browser = await launchChromium());
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();

  await page.goto(`${server.url}/`);
  assert.equal(new URL(page.url()).pathname, "/login", "a page without a session goes to sign-in");
  assert.equal(new URL(page.url()).searchParams.get("next"), "/");
  assert.equal(await page.locator("[data-testid=alert-badge]").count(), 0, "no live header before sign-in");

  await page.fill("input[name=login]", ADMIN.login);
  await page.fill("input[name=password]", "not-the-password-1");
  await page.click("button[type=submit]");
  const error = page.locator("[data-testid=form-error]");
  await error.waitFor();
  assert.match((await error.textContent()) ?? "", /Wrong login name or password/);
  assert.equal(new URL(page.url()).pathname, "/login");
  await page.screenshot({ path: shot("wrong-password") });

  await page.fill("input[name=password]", ADMIN.password);
  await page.click("button[type=submit]");
  await page.waitForURL(`${server.url}/`);
  await page.getByRole("heading", { name: "Runs" }).waitFor();
  const account = page.locator("[data-testid=account-user]");
  await account.waitFor();
  assert.match((await account.textContent()) ?? "", /admin\s*· admin/);
  const cookie = (await context.cookies()).find((c) => c.name === "pretrain_session");
  assert.ok(cookie?.httpOnly, "the session cookie is httpOnly");
  assert.equal(cookie?.sameSite, "Lax");
  assert.equal(await page.evaluate(() => document.cookie.includes("pretrain_session")), false, "page scripts cannot read it");
  assert.equal(await page.locator("[data-testid=local-mode-banner]").count(), 0);
  await page.screenshot({ path: shot("runs") });

  // The pages behind the header: a key is shown once, and the admin's Users page lists the admin.
  await page.goto(`${server.url}/settings/keys`);
  await page.fill("[data-testid=key-name]", "ci");
  await page.check("[data-testid=scope-write]");
  await page.click("[data-testid=key-create] button:not([type=button])");
  const secret = page.locator("[data-testid=key-secret]");
  await secret.waitFor();
  assert.match((await secret.textContent()) ?? "", /^pdk_[\w-]{8}_[\w-]{43}$/);
  await page.locator("[data-testid=key-row]").first().waitFor();
  assert.match((await page.locator("[data-testid=key-row]").first().textContent()) ?? "", /ci.*pdk_.*read, write.*never/);
  await page.screenshot({ path: shot("api-keys") });
  await page.goto(`${server.url}/users`);
  await page.locator("[data-testid=user-row]").first().waitFor();
  assert.equal(await page.locator("[data-testid=user-row]").count(), 1);
  await page.screenshot({ path: shot("users") });

  await page.click("[data-testid=logout]");
  await page.waitForURL(/\/login$/);
  await page.goto(`${server.url}/runs/new`);
  assert.equal(new URL(page.url()).pathname, "/login", "signed out: pages are closed again");
  assert.equal(new URL(page.url()).searchParams.get("next"), "/runs/new");
});

test("local mode states itself on the page", { skip }, async (t) => {
  const server = await startServer(tempDataDir("e2e-local"));
  t.after(() => server.stop());
  const browser = open.browser ?? (open.browser = await launchChromium());
  const page = await browser.newPage({ viewport: { width: 1280, height: 600 } });
  await page.goto(`${server.url}/`);
  const banner = page.locator("[data-testid=local-mode-banner]");
  assert.match((await banner.textContent()) ?? "", /Local mode — no sign-in; anyone on this machine can use the dashboard\. Create an admin to turn on sign-in\./);
  await page.screenshot({ path: shot("local-mode") });
  await page.close();
});
