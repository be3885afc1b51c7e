// The run page's charts on a long run, in a real browser, printed, not asserted: the page as built
// (metric.range, ≤ 1000 buckets a series) side by side with a naive version of it (?naive=1: every
// raw point through metric.history, drawn whole), in the same invocation against the same server:
//   1. the server query time per chart, over HTTP as the page calls it, and the size of the answer;
//   2. the time from navigation start to the first chart drawn with data, in headless Chromium;
//   3. the frame rate while a fake trainer on /trainer sends 50 steps a second.
// `node --import tsx bench/chart-browser.ts [steps=1000000]`; needs `npx next build` first.
// BENCH_DATA_DIR=<dir> keeps the built run there and reuses it on the next invocation.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { io } from "socket.io-client";
import { EV, type MetricPoint } from "../lib/protocol";
import { migrate, openDb } from "../server/db/db";
import { loadEnv } from "../server/env";
import { metricHistory, metricRange } from "../server/services/metrics/metrics";
import { chromiumMissing, launchChromium } from "../tests/helpers/browser";
import { startServer } from "../tests/helpers/server";
import { ingest, newRun, pointsAt, START_TIME, STEP_SECONDS } from "./chart-data";

const N = Number(process.argv[2] ?? 1_000_000);
const STEPS_PER_SECOND = 50;
const FPS_SECONDS = 5;
/** The charts of the run page that have data here, with the keys each asks for. */
const CHARTS = [{ title: "loss", keys: ["loss", "val_loss"] }, { title: "learning rate", keys: ["lr"] }, { title: "grad norm", keys: ["grad_norm"] }];

const missing = chromiumMissing();
if (missing) throw new Error(missing);
if (!fs.existsSync(path.join(import.meta.dirname, "../.next/BUILD_ID"))) throw new Error("build the UI first: npx next build");

// 1. The run, built once per data directory.
const keep = process.env.BENCH_DATA_DIR;
const dataDir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), "chart-browser-"));
fs.mkdirSync(dataDir, { recursive: true });
const marker = path.join(dataDir, `bench-run-${N}.json`);
let run: { id: string; token: string };
if (fs.existsSync(marker)) {
  run = JSON.parse(fs.readFileSync(marker, "utf8"));
  console.log(`reusing the ${N.toLocaleString()}-step run in ${dataDir}`);
} else {
  const env = loadEnv({ DATA_DIR: dataDir });
  await migrate(env);
  const db = openDb(env);
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  run = await newRun(db, "long run", N);
  console.log(`writing ${N.toLocaleString()} steps × 3 keys through MetricWriter into ${dataDir} …`);
  const rate = await ingest(env.databaseUrl, run.id, N);
  console.log(`  ${Math.round(rate).toLocaleString()} points/s`);
  await db.$disconnect();
  fs.writeFileSync(marker, JSON.stringify(run));
}

const server = await startServer(dataDir);
// The same database read in this process too, to time the query apart from HTTP and JSON.
const db = openDb(loadEnv({ DATA_DIR: dataDir }));
const browser = await launchChromium();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Times one call, retrying once when the server had closed the kept-alive connection just as the
 * call went out (after a naive answer, reading 70 MB can outlast the server's 5 s keep-alive).
 */
async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; value: T }> {
  for (let attempt = 0; ; attempt++) {
    const t = performance.now();
    try {
      const value = await call();
      return { ms: performance.now() - t, value };
    } catch (e) {
      if (attempt > 0 || !String((e as Error).message).includes("fetch failed")) throw e;
    }
  }
}

try {
  // 2. Server query time per chart, as the page calls it (tRPC over HTTP, JSON included).
  const queries: Record<string, { fast: number; naive: number; fastKb: number; naiveKb: number; fastDb: number; naiveDb: number }> = {};
  for (const c of CHARTS) {
    const fast: number[] = [];
    const naive: number[] = [];
    const fastDb: number[] = [];
    const naiveDb: number[] = [];
    // Two calls of each kind first, so that no chart pays for warming SQLite's page cache or the JIT.
    for (let i = 0; i < 2; i++) {
      await metricRange(db, run.id, { keys: c.keys, buckets: 1000 });
      await timed(() => server.api.metric.range.query({ runId: run.id, keys: c.keys, buckets: 1000 }));
    }
    for (let i = 0; i < 11; i++) {
      const t = performance.now();
      await metricRange(db, run.id, { keys: c.keys, buckets: 1000 });
      fastDb.push(performance.now() - t);
    }
    for (let i = 0; i < 2; i++) {
      const t = performance.now();
      await metricHistory(db, run.id, { keys: c.keys, maxPoints: 10_000_000 });
      naiveDb.push(performance.now() - t);
    }
    let fastKb = 0;
    let naiveKb = 0;
    for (let i = 0; i < 11; i++) {
      const r = await timed(() => server.api.metric.range.query({ runId: run.id, keys: c.keys, buckets: 1000 }));
      fast.push(r.ms);
      fastKb = JSON.stringify(r.value).length / 1024;
    }
    for (let i = 0; i < 2; i++) {
      const r = await timed(() => server.api.metric.history.query({ runId: run.id, keys: c.keys, maxPoints: 10_000_000 }));
      naive.push(r.ms);
      naiveKb = JSON.stringify(r.value).length / 1024;
    }
    queries[c.title] = { fast: median(fast), naive: median(naive), fastKb, naiveKb, fastDb: median(fastDb), naiveDb: median(naiveDb) };
    console.log(`query ${c.title}: range ${median(fast).toFixed(1)} ms (${median(fastDb).toFixed(1)} in process), history ${median(naive).toFixed(0)} ms (${median(naiveDb).toFixed(0)})`);
  }

  // 3. Time to the first chart, and 4. frames per second under live updates, per version.
  // Live steps go after the run's last one (a reused run has grown by earlier invocations' live steps).
  const extent = (await server.api.metric.keys.query({ runId: run.id })).keys.find((k) => k.key === "loss")!;
  let nextStep = extent.maxStep + 1;
  /** `warm`: a first load left out of the timing, which warms the server's page and Prisma (the naive loads take long enough without). */
  async function measure(naive: boolean, loads: number, warm: boolean) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const url = `${server.url}/runs/${run.id}${naive ? "?naive=1" : ""}`;
    const firstChart: number[] = [];
    for (let i = warm ? 0 : 1; i <= loads; i++) {
      await page.goto(url, { waitUntil: "commit" });
      await page.waitForFunction(() => performance.getEntriesByName("chart-painted").length > 0, null, { timeout: 300_000, polling: 50 });
      const ms = await page.evaluate(() => performance.getEntriesByName("chart-painted")[0].startTime);
      if (i > 0) firstChart.push(ms);
      console.log(`${naive ? "naive" : "range"} load ${i}: first chart at ${ms.toFixed(0)} ms${i === 0 ? " (warm-up)" : ""}`);
    }
    await page.waitForFunction(() => document.querySelectorAll("[data-chart][data-painted]").length >= 3, null, { timeout: 300_000 });
    const before = await page.getAttribute('[data-testid="chart-loss"]', "data-range");
    const live = await liveFrames(page);
    const after = await page.getAttribute('[data-testid="chart-loss"]', "data-range");
    console.log(`${naive ? "naive" : "range"}: ${live.fps.toFixed(1)} frames/s under live updates (loss chart ${before} → ${after})`);
    await context.close();
    return { firstChart: median(firstChart), ...live };
  }

  /** Counts animation frames in the page while a fake trainer sends STEPS_PER_SECOND steps a second. */
  async function liveFrames(page: Page) {
    const trainer = io(`${server.url}/trainer`, { auth: { runId: run.id, token: run.token }, transports: ["websocket"] });
    await new Promise<void>((resolve, reject) => trainer.once("connect", resolve).once("connect_error", reject));
    let seq = 0;
    const perBatch = STEPS_PER_SECOND / 10;
    const timer = setInterval(() => {
      const points: MetricPoint[] = [];
      for (let i = 0; i < perBatch; i++, nextStep++) points.push(...pointsAt(nextStep, N, START_TIME + nextStep * STEP_SECONDS));
      trainer.emit(EV.metricBatch, { seq: seq++, points });
    }, 100);
    await new Promise((r) => setTimeout(r, 1000)); // live points are flowing before counting starts
    // A string, not a function: tsx would wrap the inner function in a helper the page does not have.
    const frames = await page.evaluate<{ fps: number; worstMs: number }>(`new Promise((resolve) => {
      const t0 = performance.now();
      let last = t0, n = 0, worst = 0;
      requestAnimationFrame(function tick(t) {
        n++;
        worst = Math.max(worst, t - last);
        last = t;
        if (t - t0 < ${FPS_SECONDS * 1000}) requestAnimationFrame(tick);
        else resolve({ fps: (n * 1000) / (t - t0), worstMs: worst });
      });
    })`);
    clearInterval(timer);
    trainer.close();
    return frames;
  }

  const fast = await measure(false, 3, true);
  const naive = await measure(true, 1, false);

  const rows: string[][] = [["", "range (as built)", "naive (every point)", "naive / range"]];
  const ratio = (a: number, b: number) => `${a / b < 0.1 ? (a / b).toPrecision(2) : (a / b).toFixed(a / b < 10 ? 1 : 0)}×`;
  for (const [title, q] of Object.entries(queries)) {
    rows.push([`query: ${title}, over HTTP (ms)`, q.fast.toFixed(1), q.naive.toFixed(0), ratio(q.naive, q.fast)]);
    rows.push([`  in process, no HTTP/JSON (ms)`, q.fastDb.toFixed(1), q.naiveDb.toFixed(0), ratio(q.naiveDb, q.fastDb)]);
    rows.push([`  answer size (KiB)`, q.fastKb.toFixed(0), q.naiveKb.toFixed(0), ratio(q.naiveKb, q.fastKb)]);
  }
  rows.push(["time to first chart (ms)", fast.firstChart.toFixed(0), naive.firstChart.toFixed(0), ratio(naive.firstChart, fast.firstChart)]);
  rows.push([`frames/s, ${STEPS_PER_SECOND} steps/s live`, fast.fps.toFixed(1), naive.fps.toFixed(1), ratio(naive.fps, fast.fps)]);
  rows.push(["  longest frame (ms)", fast.worstMs.toFixed(0), naive.worstMs.toFixed(0), ratio(naive.worstMs, fast.worstMs)]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log(`\n${extent.count.toLocaleString()} points per key (loss, lr, grad_norm); targets: < 50 ms a query, < 1.5 s to the first chart`);
  for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("   "));
} catch (e) {
  console.error(`server output (tail):\n${server.output().slice(-3000)}`);
  throw e;
} finally {
  await browser.close();
  await db.$disconnect();
  await server.stop();
  if (!keep) fs.rmSync(dataDir, { recursive: true, force: true });
}
