import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { browserTests, SCREENSHOTS } from "../helpers/browser";
import { prepareSmall, tempDataDir, TINY, waitFor } from "../helpers/server";


const e2e = browserTests();

const BASE_CHARTS = ["loss", "val_loss", "val_bpb", "lr", "grad_norm", "tokens_per_sec"];

const rowIds = (page: Page) => page.$$eval("[data-testid=run-row]", (rows) => rows.map((r) => r.getAttribute("data-run-id")));
const attr = async (page: Page, selector: string, name: string) => page.getAttribute(selector, name);
const diffKeys = (page: Page) => page.$$eval("[data-testid=diff-row]", (rows) => rows.map((r) => r.getAttribute("data-key")));

test("pick runs in the table, compare them, and get the same view back from the link", { skip: e2e.skip }, async () => {
  const server = await e2e.start(tempDataDir("e2e-compare"));
  const api = server.api;
  const dataset = await prepareSmall(server);
  const short = { ...TINY, dataset, steps: 60, evalInterval: 20, evals: [] };
  // Two short runs that differ in lr and optimizer (one with benchmarks), then one long run that is still training.
  const a = await api.run.create.mutate({ ...short, name: "adamw-3e-3", evals: [{ task: "lambada", file: "synthetic" }], evalExamples: 8 });
  const b = await api.run.create.mutate({ ...short, name: "lion-1e-3", optimizer: "lion", lr: 1e-3, minLr: 1e-4 });
  await waitFor("both short runs to complete", async () => {
    const runs = await api.run.list.query();
    const failed = runs.find((r) => r.status === "failed" || r.status === "crashed");
    if (failed) throw new Error(`${failed.name} ${failed.status}: ${failed.error}`);
    return runs.filter((r) => r.status === "completed").length === 2;
  }, 300_000);
  const c = await api.run.create.mutate({ ...short, name: "adamw-1e-3-long", lr: 1e-3, minLr: 1e-4, steps: 5000 });
  await waitFor("the long run to log", async () => (await api.run.get.query({ id: c.id })).step > 5);

  const browser = await e2e.browser();
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));

  // The table: filter by status, text and config; sort by a column and by an added config column.
  await page.goto(server.url);
  await page.waitForSelector("[data-testid=runs-table]");
  assert.equal((await rowIds(page)).length, 3);
  await page.click("[data-testid=status-chip-completed]");
  await waitFor("the status filter", async () => (await rowIds(page)).length === 2);
  assert.ok(!(await rowIds(page)).includes(c.id));
  await page.click("[data-testid=status-chip-completed]");
  await page.fill("[data-testid=runs-search]", "lion");
  await waitFor("the text filter", async () => (await rowIds(page)).join() === b.id);
  await page.fill("[data-testid=runs-search]", "");
  await page.selectOption("[data-testid=filter-field]", "lr");
  await page.selectOption("[data-testid=filter-op]", ">");
  await page.fill("[data-testid=filter-value]", "2e-3");
  await page.click("[data-testid=filter-add]");
  await waitFor("the config filter", async () => (await rowIds(page)).join() === a.id);
  assert.match((await page.textContent("[data-testid=filter-chip]")) ?? "", /Learning rate > 2e-3/);
  await page.waitForURL(/f=lr%3E2e-3/);
  await page.reload();
  await page.waitForSelector("[data-testid=filter-chip]");
  assert.deepEqual(await rowIds(page), [a.id], "the table's filters come back from its URL");
  await page.click("[data-testid=filter-chip] button");
  await waitFor("the filter to go", async () => (await rowIds(page)).length === 3);

  await page.click("[data-testid=sort-name]");
  await waitFor("sorting by name", async () => (await rowIds(page)).join() === [c.id, a.id, b.id].join());
  await page.click("[data-testid=sort-name]");
  assert.deepEqual(await rowIds(page), [b.id, a.id, c.id]);
  await page.selectOption("[data-testid=add-column]", "config:optimizer");
  await page.click("[data-testid='sort-config:optimizer']");
  assert.equal((await rowIds(page))[2], b.id, "lion sorts after adamw");
  await page.selectOption("[data-testid=add-column]", "metric:val_loss");
  await page.waitForSelector("[data-testid='sort-metric:val_loss']");

  for (const run of [a, b, c]) await page.check(`[data-testid=select-${run.id}]`);
  assert.equal((await page.textContent("[data-testid=compare-button]"))?.trim(), "Compare (3)");
  await page.screenshot({ path: path.join(SCREENSHOTS, "runs-table-select.png"), fullPage: true });

  // Compare: the URL holds the selection; one chart per metric with a line per run.
  await page.click("[data-testid=compare-button]");
  await page.waitForURL(/\/compare\?/);
  assert.deepEqual(new URL(page.url()).searchParams.get("runs")?.split(","), [a.id, b.id, c.id]);
  await page.waitForSelector("[data-testid=compare-chart-loss] canvas");
  const charts = await page.$$eval("[data-testid^=compare-chart-]", (els) => els.map((e) => [e.getAttribute("data-metric"), e.getAttribute("data-series")]));
  const metrics = charts.map(([m]) => m);
  assert.deepEqual(metrics.slice(0, BASE_CHARTS.length), BASE_CHARTS);
  assert.ok(metrics.includes("eval/lambada/acc"), `a chart for the benchmark one run has: ${metrics.join(", ")}`);
  for (const [metric, series] of charts) assert.equal(series, "3", `${metric} has one line per run`);

  // Only what differs, then everything.
  const differing = await diffKeys(page);
  assert.deepEqual(new Set(differing), new Set(["steps", "lr", "minLr", "optimizer", "evals", "evals.lambada", "evalExamples"]));
  await page.uncheck("[data-testid=hide-identical]");
  await waitFor("every config row", async () => (await diffKeys(page)).length > 40);

  // Summary: a row per run, a best val loss for each.
  const summary = await page.$$eval("[data-testid=summary-row]", (rows) =>
    rows.map((r) => [r.getAttribute("data-run-id"), r.querySelector("[data-testid=best-val-loss]")?.getAttribute("data-value")]));
  assert.deepEqual(summary.map(([id]) => id), [a.id, b.id, c.id]);
  for (const [id, best] of summary) assert.ok(Number(best) > 0 && Number(best) < 20, `best val loss of ${id}: ${best}`);

  // The long run's line grows while the page is open.
  const lossPoints = async () => Number(await attr(page, "[data-testid=compare-chart-loss]", "data-points"));
  const before = await lossPoints();
  await waitFor("live points on the loss chart", async () => (await lossPoints()) > before + 10, 120_000);

  // Chart settings land in the URL, and a reload brings back the same view.
  await page.click("[data-testid=log-toggle-lr]");
  await page.click("[data-testid=x-axis-tokens]");
  await page.click("[data-testid=metric-toggle-grad_norm]");
  await page.fill("[data-testid=smoothing]", "0.8");
  await page.waitForURL((u) => u.searchParams.get("x") === "tokens" && u.searchParams.get("smooth") === "0.8" && u.searchParams.get("identical") === "show");
  const url = page.url();
  const log = new URL(url).searchParams.get("log")?.split(",") ?? [];
  assert.ok(log.includes("lr") && log.includes("loss") && !log.includes("grad_norm"), `log scale on ${log.join(", ")}`);
  assert.equal(await attr(page, "[data-testid=compare-chart-lr]", "data-log"), "true");
  assert.ok(!(await page.$("[data-testid=compare-chart-grad_norm]")), "a hidden metric has no chart");
  const settled = await viewState(page);
  // Throughput alerts of three trainers sharing two cores would cover the charts in the picture.
  for (const close of await page.$$("[data-testid=alert-toast] button[aria-label=Dismiss]")) await close.click();
  await page.screenshot({ path: path.join(SCREENSHOTS, "compare-runs.png"), fullPage: true });
  await page.goto(url);
  await page.waitForSelector("[data-testid=compare-chart-loss] canvas");
  assert.deepEqual(await viewState(page), settled);

  // Unknown ids are reported, and more than 20 are cut with a notice.
  await page.goto(`${server.url}/compare?runs=${a.id},no-such-run`);
  assert.match((await page.textContent("[data-testid=missing-runs]")) ?? "", /no-such-run/);
  assert.equal((await page.$$("[data-testid=summary-row]")).length, 1);
  await page.goto(`${server.url}/compare?runs=${[a.id, ...Array.from({ length: 20 }, (_, i) => `ghost-${i}`)].join(",")}`);
  assert.match((await page.textContent("[data-testid=dropped-runs]")) ?? "", /1 more/);

  await api.run.stop.mutate({ id: c.id });
  assert.deepEqual(problems, []);
});

/** What a copied link must reproduce: runs, charts and their settings, and the config rows shown. */
async function viewState(page: Page) {
  return {
    runs: await page.getAttribute("[data-testid=compare-view]", "data-runs"),
    charts: await page.$$eval("[data-testid^=compare-chart-]", (els) => els.map((e) => `${e.getAttribute("data-metric")}:${e.getAttribute("data-series")}:${e.getAttribute("data-log")}`)),
    pressed: await page.$$eval("[data-testid=compare-controls] [aria-pressed=true]", (els) => els.map((e) => e.getAttribute("data-testid"))),
    smoothing: await page.inputValue("[data-testid=smoothing]"),
    hideIdentical: await page.isChecked("[data-testid=hide-identical]"),
    diffRows: (await diffKeys(page)).length,
  };
}
