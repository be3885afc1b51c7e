import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import type { Locator, Page } from "playwright-core";
import { io } from "socket.io-client";
import { EV } from "../../lib/protocol";
import { browserTests, SCREENSHOTS } from "../helpers/browser";
import { reactivate } from "../helpers/live-launch";
import { SEEDED, seededPoints, seedRun } from "../helpers/seeded-run";
import { tempDataDir, waitFor } from "../helpers/server";

const e2e = browserTests();

const chart = (page: Page, title: string) => page.locator(`[data-testid="chart-${title}"]`);
const attr = async (l: Locator, name: string) => (await l.getAttribute(name)) ?? "";
const settled = (l: Locator) => waitFor("the chart to load", async () => (await attr(l, "data-loading")) === "false" && (await attr(l, "data-painted")) === "true", 20_000);

test("charts by kind: loading state, superseded series, log labels, accuracy bounds, constant stat, smoothing per kind", { skip: e2e.skip }, async () => {
  const dataDir = tempDataDir("e2e-chart-kinds");
  const runId = await seedRun(dataDir, "kinds");
  const server = await e2e.start(dataDir);
  const browser = await e2e.browser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));

  // Every tRPC call waits until the test lets it through: the page's state while the history is on its way.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  await page.route("**/api/trpc/**", async (route) => {
    await gate;
    await route.continue();
  });
  await page.goto(`${server.url}/runs/${runId}`);
  const loss = chart(page, "loss");
  await loss.locator("[data-testid=chart-loading]").waitFor();
  assert.equal(await attr(loss, "data-loading"), "true");
  assert.match((await loss.textContent()) ?? "", /loading…/);
  assert.equal(await page.getByText("no data yet").count(), 0, "nothing says 'no data yet' before the history has answered");
  assert.equal(await attr(page.locator("[data-testid=alert-badge]"), "data-loading"), "true");
  assert.equal((await page.textContent("[data-testid=alert-badge]"))?.trim(), "…", "no alert count before it is known");
  await page.screenshot({ path: path.join(SCREENSHOTS, "charts-loading.png") });
  release();
  await settled(loss);
  await page.unroute("**/api/trpc/**");
  assert.equal(await loss.locator("[data-testid=chart-loading]").count(), 0);
  await waitFor("the alert count", async () => (await attr(page.locator("[data-testid=alert-badge]"), "data-loading")) === "false");
  assert.equal((await page.textContent("[data-testid=alert-badge]"))?.trim(), "0");

  // The rollback's superseded loss: its own colour (not the live line's, faded), named in the legend, and in the y range.
  await waitFor("the superseded series", async () => (await attr(loss, "data-legend")).includes("undone by rollback"));
  const legend = JSON.parse(await attr(loss, "data-legend")) as { label: string; color: string; dashed: boolean }[];
  const undone = legend.find((l) => l.label === "undone by rollback")!;
  const live = legend.find((l) => l.label === "train loss")!;
  assert.equal(undone.dashed, true);
  assert.equal(undone.color, "#f59e0b");
  assert.notEqual(undone.color.slice(0, 7), live.color.slice(0, 7));
  assert.ok(Number(await attr(loss, "data-y-max")) >= SEEDED.spike, "the y-axis reaches the undone spike");

  // The log loss axis labels its 1-2-5 ticks.
  await loss.screenshot({ path: path.join(SCREENSHOTS, "chart-superseded-log.png") });
  const ticks = (await attr(loss, "data-y-ticks")).split("|");
  for (const t of ["2", "5", "10", "20", "50"]) assert.ok(ticks.includes(t), `log tick ${t} labelled: ${ticks.join(", ")} (axis from ${await attr(loss, "data-y-min")})`);

  // An accuracy stays inside [0, 1] even where it is 0.
  const acc = chart(page, "lambada acc");
  await settled(acc);
  assert.ok(Number(await attr(acc, "data-y-min")) >= 0 && Number(await attr(acc, "data-y-max")) <= 1, `acc axis ${await attr(acc, "data-y-min")}…${await attr(acc, "data-y-max")}`);
  await acc.screenshot({ path: path.join(SCREENSHOTS, "chart-accuracy.png") });

  // Smoothing by kind: the loss follows the slider, the lr and the val loss never do.
  const lr = chart(page, "learning rate");
  await settled(lr);
  assert.equal(await attr(loss, "data-smoothing"), "0.6");
  assert.match(await attr(loss, "data-datasets"), /smooth/);
  assert.equal(await attr(lr, "data-smoothing"), "0");
  assert.doesNotMatch(await attr(lr, "data-datasets"), /smooth/);
  assert.equal(await attr(chart(page, "val loss"), "data-smoothing"), "0");
  await page.fill("[data-testid=smoothing]", "0.9");
  await waitFor("heavier smoothing", async () => (await attr(loss, "data-smoothing")) === "0.9");
  assert.equal(await attr(lr, "data-smoothing"), "0", "the lr stays as scheduled");

  // The constant batch size is one line, not a chart, until it changes.
  const stat = page.locator('[data-testid="stat-batch size"]');
  await stat.waitFor();
  assert.match((await stat.textContent()) ?? "", /batch size:\s*8 rows, constant/);
  assert.equal(await chart(page, "batch size").count(), 0);
  await page.locator("[data-testid=run-charts]").screenshot({ path: path.join(SCREENSHOTS, "charts-kinds.png") });

  await reactivate(server, runId);
  const trainer = io(`${server.url}/trainer`, { auth: { runId, token: SEEDED.token }, transports: ["websocket"] });
  await new Promise<void>((resolve, reject) => trainer.once("connect", resolve).once("connect_error", reject));
  const step = SEEDED.steps;
  const points = seededPoints(step).map((p) => (p.key === "batch_size" ? { ...p, value: 16 } : p));
  assert.equal((await trainer.emitWithAck(EV.metricBatch, { seq: 1, points })).ok, true);
  trainer.close();
  await waitFor("the batch size chart", async () => (await chart(page, "batch size").count()) === 1, 10_000);
  assert.equal(await stat.count(), 0);

  assert.deepEqual(problems, []);
});
