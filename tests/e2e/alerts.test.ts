import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, test } from "node:test";
import type { Page } from "playwright-core";
import { browserTests, SCREENSHOTS } from "../helpers/browser";
import { prepareSmall, tempDataDir, TINY, waitFor } from "../helpers/server";

/** Past the detectors' default warmup (50 loss samples) and rolling-window start. */
const SPIKE_STEP = 120;

/** A webhook receiver: records every JSON body it is sent. */
const received: { alert?: { type: string; runId: string } }[] = [];
const receiver = http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    received.push(JSON.parse(body));
    res.writeHead(200).end("ok");
  });
});

after(() => receiver.close());

type Timing = { loss: Record<number, number>; toasts: Record<number, number> };

/**
 * Runs in each page before its scripts: notes when each loss point arrives on the page's socket
 * (before socket.io handles the frame) and when each alert's toast enters the DOM, in Date.now()
 * so that times from different pages compare.
 */
function recordTimes() {
  const w = window as unknown as { __timing: Timing; WebSocket: typeof WebSocket };
  const timing: Timing = { loss: {}, toasts: {} };
  w.__timing = timing;
  const Native = w.WebSocket;
  w.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener("message", (e) => {
        if (typeof e.data !== "string" || !e.data.startsWith('42["metric:batch"')) return;
        const now = Date.now();
        const [, msg] = JSON.parse(e.data.slice(2)) as [string, { points: { key: string; step: number }[] }];
        for (const p of msg.points) if (p.key === "loss") timing.loss[p.step] ??= now;
      });
    }
  };
  new MutationObserver(() => {
    for (const el of document.querySelectorAll<HTMLElement>('[data-testid="alert-toast"]')) timing.toasts[Number(el.dataset.alertId)] ??= Date.now();
  }).observe(document, { childList: true, subtree: true });
}

const timing = (page: Page) => page.evaluate(() => (window as unknown as { __timing: Timing }).__timing);
const badge = async (page: Page) => Number(await page.textContent("[data-testid=alert-badge]"));
const text = async (page: Page, selector: string) => (await page.textContent(selector)) ?? "";

const e2e = browserTests();

test("a loss spike toasts on every page within 2 s, marks the charts, is delivered to the webhook, and can be acknowledged", { skip: e2e.skip }, async () => {
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  // Faults are planted on purpose, and the receiver listens on loopback, which webhooks reach only when allowed.
  const server = await e2e.start(tempDataDir("e2e-alerts"), { ENABLE_FAULT_INJECTION: "1", WEBHOOK_ALLOW_PRIVATE: "1" });
  const dataset = await prepareSmall(server);
  const browser = await e2e.browser();
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.addInitScript(recordTimes);
  const home = await context.newPage();
  const runPage = await context.newPage();
  const pageErrors: string[] = [];
  for (const page of [home, runPage]) page.on("pageerror", (e) => pageErrors.push(e.message));

  // A global webhook, added and tested on the Alerts page.
  await home.goto(`${server.url}/alerts`);
  await home.fill("[data-testid=webhook-url]", `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`);
  await home.click("[data-testid=webhook-add]");
  await home.click("[data-testid=webhook-test]");
  await waitFor("the webhook test result", async () => /delivered \(HTTP 200\)/.test(await text(home, "[data-testid=webhook-test-result]")), 10_000);
  await home.goto(server.url);
  await home.waitForSelector("[data-testid=alert-badge][data-loading=false]");
  assert.equal(await badge(home), 0);

  const run = await server.api.run.create.mutate({
    ...TINY, name: "e2e-spike", dataset, steps: 300, checkpointInterval: 50, recovery: "rollback", rollbackSkipBatches: 10,
    faults: [{ kind: "loss_scale", step: SPIKE_STEP, factor: 8 }],
  });
  await runPage.goto(`${server.url}/runs/${run.id}`);

  const toast = '[data-testid=alert-toast]:has-text("loss_spike")';
  await runPage.waitForSelector(toast, { timeout: 120_000 });
  await home.waitForSelector(toast, { timeout: 5_000 });
  assert.match(await text(home, toast), /e2e-spike/);
  assert.match(await text(home, toast), new RegExp(`step ${SPIKE_STEP}`));

  const spike = (await server.api.alert.list.query({ runId: run.id })).find((a) => a.type === "loss_spike") ?? assert.fail("no loss_spike alert stored");
  assert.equal(spike.step, SPIKE_STEP);
  const [onRun, onHome] = [await timing(runPage), await timing(home)];
  const firstLive = Math.min(...Object.keys(onRun.loss).map(Number));
  assert.ok(firstLive < SPIKE_STEP, `the run page must be live before the spike; its first live loss point was step ${firstLive}`);
  const pointAt = onRun.loss[spike.step] ?? assert.fail(`the page's socket never carried the loss point of step ${spike.step}`);
  const latency = onRun.toasts[spike.id] - pointAt;
  console.log(`loss point of step ${spike.step} → toast: ${latency} ms on the run page, ${onHome.toasts[spike.id] - pointAt} ms on the runs page`);
  assert.ok(latency >= 0 && latency < 2000, `toast ${latency} ms after the spike's point reached the browser`);

  for (const page of [home, runPage]) assert.ok((await badge(page)) >= 1);
  const lossChart = runPage.locator('[data-testid="chart-loss"]');
  assert.ok(Number(await lossChart.getAttribute("data-markers")) >= 1);
  assert.match(await text(runPage, "[data-testid=run-alerts]"), /loss_spike/);
  await runPage.screenshot({ path: path.join(SCREENSHOTS, "alerts-run-page.png"), fullPage: true });

  // Acknowledged from the toast (before it fades after 10 s): the badge drops on both pages.
  // Other alerts may arrive meanwhile (the rollback's own), so the badge is held to the server's count, not to "one less".
  const spikeToast = `[data-testid=alert-toast][data-alert-id="${spike.id}"]`;
  await runPage.click(`${spikeToast} [data-testid=toast-ack]`);
  await waitFor("the acknowledged toast to go", async () => (await runPage.locator(spikeToast).count()) === 0, 5_000);
  assert.equal((await server.api.alert.list.query({ runId: run.id })).find((a) => a.id === spike.id)?.acknowledged, true);
  for (const page of [runPage, home]) {
    await waitFor("the badge to show the server's unacknowledged count", async () =>
      (await badge(page)) === (await server.api.alert.unacknowledged.query()).count, 5_000);
  }

  // The rollback that the spike caused: an info event on the timeline and a marker; superseded points drawn.
  await waitFor("the run to finish", async () => (await server.api.run.get.query({ id: run.id })).status === "completed", 120_000);
  await waitFor("the rollback on the timeline", async () => /rollback/.test(await text(runPage, "[data-testid=run-alerts]")), 5_000);
  assert.ok(Number(await lossChart.getAttribute("data-markers")) >= 2);
  await runPage.click("[data-testid=run-alerts] [data-testid=ack-all]");
  for (const page of [runPage, home]) await waitFor("the badge to reach 0", async () => (await badge(page)) === 0, 5_000);

  // Mute this type for an hour, and a webhook of the run's own, from the panel; then undo both.
  const panel = "[data-testid=run-alerts]";
  await runPage.selectOption(`${panel} [data-testid=alert-row]:has-text("loss_spike") [data-testid=alert-mute]`, { label: "for 1 h" });
  await runPage.waitForSelector(`${panel} [data-testid=mute]:has-text("loss_spike")`);
  const [mute] = await server.api.alert.mutes.query({ runId: run.id });
  assert.equal(mute?.type, "loss_spike");
  assert.ok(mute.until && Math.abs(Date.parse(mute.until) - Date.now() - 3_600_000) < 60_000, `muted until ${mute.until}`);
  await runPage.fill(`${panel} [data-testid=webhook-url]`, `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/run-hook`);
  await runPage.click(`${panel} [data-testid=webhook-add]`);
  await runPage.waitForSelector(`${panel} [data-testid=webhook]:has-text("/run-hook")`);
  assert.deepEqual((await server.api.webhook.list.query({ runId: run.id })).map((h) => h.runId), [null, run.id]);
  await runPage.screenshot({ path: path.join(SCREENSHOTS, "alerts-run-page-done.png"), fullPage: true });
  await runPage.click(`${panel} [data-testid=unmute]`);
  await runPage.click(`${panel} [data-testid=webhook-remove]`);
  await waitFor("the mute and the run's webhook to go", async () => (await runPage.locator(`${panel} [data-testid=mute], ${panel} [data-testid=webhook]`).count()) === 0, 5_000);

  // The Alerts page lists it, and its delivery log shows the webhook POST.
  await home.goto(`${server.url}/alerts`);
  await home.waitForSelector('[data-testid=all-alerts] [data-testid=alert-row]:has-text("loss_spike")');
  await home.waitForSelector('[data-testid=delivery][data-status=delivered]:has-text("loss_spike")', { timeout: 10_000 });
  assert.ok(received.some((b) => b.alert?.runId === run.id && b.alert.type === "loss_spike"));
  await home.screenshot({ path: path.join(SCREENSHOTS, "alerts-page.png"), fullPage: true });

  // The form's recovery group: rollback fields appear with the policy; a bad threshold is flagged beside its field.
  await home.goto(`${server.url}/runs/new`);
  assert.equal(await home.locator("#field-maxRollbacks").count(), 0);
  await home.selectOption("#field-recovery", "rollback");
  assert.equal(await home.locator("#field-maxRollbacks").count(), 1);
  assert.equal(await home.isVisible("#field-anomaly-spikeZ"), false, "the thresholds start collapsed");
  await home.click("[data-testid=anomaly-thresholds] summary");
  await home.fill("#field-anomaly-spikeZ", "0");
  await home.click("button[type=submit]");
  assert.match(await text(home, "[data-testid=error-anomaly-spikeZ]"), /At least 1/);
  assert.equal(new URL(home.url()).pathname, "/runs/new");
  // The group with a margin, so its legend (drawn on the border) is not cut; clip is in page coordinates.
  const group = await home.locator('fieldset:has(legend:text("Recovery & alerts"))').evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { x: r.x + window.scrollX - 12, y: r.y + window.scrollY - 12, width: r.width + 24, height: r.height + 24 };
  });
  await home.screenshot({ path: path.join(SCREENSHOTS, "run-form-recovery.png"), fullPage: true, clip: group });

  assert.deepEqual(pageErrors, []);
});
