import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import type { Locator, Page } from "playwright-core";
import { io } from "socket.io-client";
import { EV, type MetricPoint } from "../../lib/protocol";
import { RunConfig } from "../../lib/run-config";
import { migrate, openDb } from "../../server/db/db";
import { loadEnv } from "../../server/env";
import { MetricWriter } from "../../server/services/metrics/metrics";
import { browserTests, SCREENSHOTS } from "../helpers/browser";
import { databaseEnv } from "../helpers/db";
import { reactivate } from "../helpers/live-launch";
import { tempDataDir, waitFor } from "../helpers/server";

const STEPS = 20_000;
const SPIKE_STEP = 12_345;
const SPIKE = 40;
const NAN_STEP = 15_000;
const BATCH = 8;
const CONTEXT = 64;
const T0 = 1.7e9;
const TOKEN = "t".repeat(32);

const e2e = browserTests();

function stepPoints(step: number): MetricPoint[] {
  const wallTime = T0 + step * 0.1;
  const loss = step === SPIKE_STEP ? SPIKE : step === NAN_STEP ? null : 2 + 6 / Math.sqrt(1 + step / 50) + 0.05 * Math.sin(step * 12.9898);
  const points: MetricPoint[] = [
    { step, key: "loss", value: loss, wallTime },
    { step, key: "lr", value: 3e-4 * Math.min(1, step / 500), wallTime },
    { step, key: "grad_norm", value: 0.5 + 0.2 * Math.abs(Math.sin(step)), wallTime },
    { step, key: "batch_size", value: BATCH, wallTime },
    { step, key: "tokens_per_sec", value: 9000 + 500 * Math.sin(step / 300), wallTime },
  ];
  if (step % 500 === 0) points.push({ step, key: "val_loss", value: 2.2 + 6 / Math.sqrt(1 + step / 50), wallTime }, { step, key: "val_ppl", value: Math.exp(2.2 + 6 / Math.sqrt(1 + step / 50)), wallTime });
  return points;
}

/** A finished run of STEPS steps written straight through MetricWriter, as a trainer's batches would be. */
async function seedRun(dataDir: string): Promise<string> {
  const env = loadEnv({ DATA_DIR: dataDir, ...(await databaseEnv(dataDir)) });
  await migrate(env);
  const db = openDb(env);
  const config = RunConfig.parse({ name: "charts", steps: STEPS, batchSize: BATCH, contextLength: CONTEXT });
  const run = await db.run.create({ data: { name: "charts", config: JSON.stringify(config), token: TOKEN, totalSteps: STEPS, step: STEPS - 1, status: "completed" } });
  const writer = new MetricWriter(env.databaseUrl, () => {}, 1);
  for (let s = 0; s < STEPS; s += 2000) await writer.enqueue(run.id, Array.from({ length: 2000 }, (_, i) => stepPoints(s + i)).flat());
  await writer.close();
  await db.$disconnect();
  return run.id;
}

const chart = (page: Page, title: string) => page.locator(`[data-testid="chart-${title}"]`);
const attr = async (l: Locator, name: string) => (await l.getAttribute(name)) ?? "";
const settled = (l: Locator) => waitFor("the chart to load", async () => (await attr(l, "data-loading")) === "false" && (await attr(l, "data-painted")) === "true", 20_000);

/** Drags across a chart from one step to another (x-axis: step), as a person selecting a window. */
async function dragSteps(page: Page, c: Locator, from: number, to: number) {
  const box = (await c.locator("canvas").boundingBox())!;
  const [left, right] = (await attr(c, "data-area")).split("-").map(Number);
  const [min, max] = [Number(await attr(c, "data-x-min")), Number(await attr(c, "data-x-max"))];
  const px = (step: number) => box.x + left + ((step - min) / (max - min)) * (right - left);
  const y = box.y + box.height / 2;
  await page.mouse.move(px(from), y);
  await page.mouse.down();
  await page.mouse.move(px(to), y, { steps: 6 });
  await page.mouse.up();
}

test("charts of a long run: bucketed with the spike, zoom to raw points, smoothing, x-axes, sections, synced hover, live tail", { skip: e2e.skip }, async () => {
  const dataDir = tempDataDir("e2e-charts");
  const runId = await seedRun(dataDir);
  const server = await e2e.start(dataDir);
  const browser = await e2e.browser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));

  await page.goto(`${server.url}/runs/${runId}`);
  const loss = chart(page, "loss");
  const grad = chart(page, "grad norm");
  await settled(loss);
  await settled(grad);

  // Full range: 20,000 steps in at most 1000 buckets, and the one-step spike is the band's top.
  assert.equal(await attr(loss, "data-raw"), "false");
  assert.equal(await attr(loss, "data-range"), `0-${STEPS - 1}`);
  assert.ok(Number(await attr(loss, "data-points")) <= 1000 + 41, "buckets plus the val loss dots");
  assert.equal(Number(await attr(loss, "data-ymax")), SPIKE);
  assert.match(await attr(loss, "data-datasets"), /band-max/);
  for (const name of ["training", "validation", "system"]) assert.equal(await page.locator(`[data-testid=chart-section-${name}]`).count(), 1, `section ${name}`);
  await page.screenshot({ path: path.join(SCREENSHOTS, "charts-full.png"), fullPage: true });
  await page.locator("[data-testid=run-charts]").screenshot({ path: path.join(SCREENSHOTS, "charts-sections.png") });

  // Drag-to-zoom twice around the spike; every chart of the page follows the window.
  await dragSteps(page, loss, 8_000, 16_000);
  await waitFor("the first zoom", async () => (await attr(loss, "data-range")) !== `0-${STEPS - 1}` && (await attr(loss, "data-loading")) === "false");
  const [from1, to1] = (await attr(loss, "data-range")).split("-").map(Number);
  assert.ok(from1 >= 7_900 && from1 <= 8_100 && to1 >= 15_900 && to1 <= 16_100, `window ${from1}-${to1}`);
  assert.equal(await attr(loss, "data-raw"), "false", "8000 steps are still bucketed");
  assert.equal(Number(await attr(loss, "data-ymax")), SPIKE);
  await dragSteps(page, loss, SPIKE_STEP - 200, SPIKE_STEP + 200);
  await waitFor("raw points", async () => (await attr(loss, "data-raw")) === "true" && (await attr(loss, "data-loading")) === "false");
  const [from2, to2] = (await attr(loss, "data-range")).split("-").map(Number);
  assert.ok(from2 > from1 && to2 < to1 && to2 - from2 < 1000, `window ${from2}-${to2}`);
  assert.equal(Number(await attr(loss, "data-ymax")), SPIKE, "the spike is there as a raw point");
  await waitFor("the grad norm chart to follow", async () => (await attr(grad, "data-range")) === `${from2}-${to2}` && (await attr(grad, "data-raw")) === "true");
  await page.waitForURL((u) => /^\d+(\.\d+)?-\d+(\.\d+)?$/.test(u.searchParams.get("range") ?? ""));
  await page.screenshot({ path: path.join(SCREENSHOTS, "charts-zoomed.png"), fullPage: true });

  // The hover on one chart shows the tooltip at the same step on the others.
  const box = (await loss.locator("canvas").boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.55, box.y + box.height / 2);
  const hovered = await waitFor("a hovered step", async () => attr(loss, "data-hover-step"));
  await waitFor("the grad norm chart's tooltip at the same step", async () => (await attr(grad, "data-hover-step")) === hovered);
  assert.ok(Number(hovered) >= from2 && Number(hovered) <= to2);
  await page.screenshot({ path: path.join(SCREENSHOTS, "charts-hover.png"), clip: { x: 0, y: box.y - 60, width: 1400, height: 620 } });
  await page.mouse.move(5, 5);
  await waitFor("the hover to clear", async () => (await attr(grad, "data-hover-step")) === "");

  // Double-click resets the zoom.
  await loss.locator("canvas").dblclick({ position: { x: box.width / 2, y: box.height / 2 } });
  await waitFor("the whole run again", async () => (await attr(loss, "data-range")) === `0-${STEPS - 1}` && (await attr(loss, "data-raw")) === "false");

  // Smoothing: off draws the raw line alone; heavy keeps the raw line, faint, beneath the EMA.
  assert.equal(await attr(loss, "data-smoothing"), "0.6", "TensorBoard's default");
  await page.fill("[data-testid=smoothing]", "0");
  await waitFor("smoothing off", async () => (await attr(loss, "data-smoothing")) === "0");
  assert.equal(await attr(loss, "data-datasets"), "raw,band-min,band-max");
  await page.fill("[data-testid=smoothing]", "0.95");
  await waitFor("heavy smoothing", async () => (await attr(loss, "data-smoothing")) === "0.95");
  assert.equal(await attr(loss, "data-datasets"), "smooth,raw,band-min,band-max");
  await page.waitForURL((u) => u.searchParams.get("smooth") === "0.95");

  // X-axes: tokens seen from the logged batch sizes, then relative time.
  await page.click("[data-testid=x-axis-tokens]");
  await waitFor("tokens on x", async () => (await attr(loss, "data-x-axis")) === "tokens" && Math.abs(Number(await attr(loss, "data-x-max")) - STEPS * BATCH * CONTEXT) < BATCH * CONTEXT * 2);
  await page.screenshot({ path: path.join(SCREENSHOTS, "charts-tokens.png"), clip: { x: 0, y: box.y - 60, width: 1400, height: 620 } });
  await page.click("[data-testid=x-axis-relative]");
  await waitFor("relative time on x", async () => (await attr(loss, "data-x-axis")) === "relative" && Math.abs(Number(await attr(loss, "data-x-max")) - (STEPS - 1) * 0.1) < 1);
  await page.click("[data-testid=x-axis-step]");

  // Sections fold away, and stay folded after a reload from the URL.
  await page.click("[data-testid=chart-section-toggle-system]");
  await waitFor("the system section to fold", async () => (await chart(page, "tokens/s").count()) === 0);
  await page.waitForURL((u) => u.searchParams.get("collapsed") === "system");
  await page.reload();
  await settled(chart(page, "loss"));
  assert.equal(await page.getAttribute("[data-testid=chart-section-system]", "data-collapsed"), "true");
  assert.equal(await chart(page, "tokens/s").count(), 0);
  assert.equal(await page.inputValue("[data-testid=smoothing]"), "0.95", "the smoothing came back from the URL");

  // A trainer's live points extend the tail of the bucketed chart; its token opens only an active run.
  await reactivate(server, runId);
  const trainer = io(`${server.url}/trainer`, { auth: { runId, token: TOKEN }, transports: ["websocket"] });
  await new Promise<void>((resolve, reject) => trainer.once("connect", resolve).once("connect_error", reject));
  for (let s = STEPS; s < STEPS + 100; s += 10) {
    const reply = await trainer.emitWithAck(EV.metricBatch, { seq: s, points: Array.from({ length: 10 }, (_, i) => stepPoints(s + i)).flat() });
    assert.equal(reply.ok, true);
  }
  trainer.close();
  await waitFor("the live tail", async () => (await attr(chart(page, "loss"), "data-range")) === `0-${STEPS + 99}`, 10_000);
  assert.equal(await attr(chart(page, "loss"), "data-raw"), "false");
  await waitFor("the live val loss point", async () => (await attr(chart(page, "val loss"), "data-range")) === `0-${STEPS}`, 10_000);
  assert.equal(await attr(chart(page, "val loss"), "data-raw"), "true", "a sparse series stays raw as it grows");
  await page.screenshot({ path: path.join(SCREENSHOTS, "charts-collapsed.png"), fullPage: true });

  assert.deepEqual(problems, []);
});
