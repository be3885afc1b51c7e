import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { browserTests } from "../helpers/browser";
import { prepareSmall, tempDataDir, TINY, waitFor } from "../helpers/server";

const e2e = browserTests();

/** Where the page's screenshots go, to be looked at. */
const SHOTS = "/tmp";

const num = async (page: Page, selector: string, name: string) => Number(await page.getAttribute(selector, name));

test("an MLflow run's page: its names on the charts, other metrics, params, live points, roles, artifacts, mark as ended; the runs table and compare", { skip: e2e.skip }, async () => {
  // Local mode (loopback, no users): the MLflow API needs no key.
  const server = await e2e.start(tempDataDir("e2e-outside"));
  const ml = async (path: string, body: Record<string, unknown>) => {
    const res = await fetch(`${server.url}/api/2.0/mlflow/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const text = await res.text();
    assert.equal(res.status, 200, `${path}: ${text}`);
    return JSON.parse(text);
  };
  const { experiment_id: exp } = await ml("experiments/create", { name: "gpt2-small-sweep" });
  const created = await ml("runs/create", {
    experiment_id: exp, run_name: "hf-gpt2-lr3e-4", user_id: "alice", start_time: Date.now(),
    tags: [{ key: "mlflow.source.name", value: "train.py" }, { key: "mlflow.user", value: "alice" }, { key: "team", value: "pretraining" }],
  });
  const runId: string = created.run.info.run_id;
  const metricsAt = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i).flatMap((step) => [
    { key: "train/loss", value: 4 - step * 0.1, step, timestamp: Date.now() },
    { key: "my_loss", value: 50 + step, step, timestamp: Date.now() },
    { key: "learning_rate", value: 3e-4 * Math.min(1, (step + 1) / 8), step, timestamp: Date.now() },
    { key: "throughput(tps)", value: 12_000 + step, step, timestamp: Date.now() },
    { key: "mfu(%)", value: 38 + step / 10, step, timestamp: Date.now() },
  ]);
  const longValue = JSON.stringify({ architectures: ["GPT2LMHeadModel"], n_embd: 768, n_head: 12, n_layer: 12, activation_function: "gelu_new", resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1, layer_norm_epsilon: 1e-5 });
  await ml("runs/log-batch", {
    run_id: runId, metrics: metricsAt(0, 10),
    params: [
      { key: "optimizer/lr", value: "3e-4" }, { key: "optimizer/betas", value: "(0.9, 0.95)" }, { key: "model/n_layer", value: "12" },
      { key: "model_config", value: longValue }, { key: "per_device_train_batch_size", value: "16" }, { key: "gradient_accumulation_steps", value: "8" },
      { key: "output_dir", value: "/scratch/alice/runs/hf-gpt2-lr3e-4/checkpoints/with/a/rather/long/path" },
    ],
  });
  const artifact = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/${runId}/artifacts/config/trainer.json`, { method: "PUT", body: '{"lr": 3e-4}' });
  assert.equal(artifact.status, 200, await artifact.text());

  const browser = await e2e.browser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));

  await page.goto(`${server.url}/runs/${runId}`);
  await page.waitForSelector("[data-testid=outside-run]");
  assert.equal((await page.textContent("[data-testid=source-badge]"))?.trim(), "MLflow");
  assert.equal(await page.textContent("[data-testid=run-experiment]"), "gpt2-small-sweep");
  assert.equal(await page.textContent("[data-testid=run-user]"), "alice");
  await waitFor("the last-log time", async () => /logged \d+ s ago/.test((await page.textContent("[data-testid=run-last-log]").catch(() => "")) ?? ""), 10_000);
  assert.equal(await page.$("text=Resume"), null, "nothing that needs our trainer");
  assert.equal(await page.$("[data-testid=run-config]"), null);

  // The standard loss chart through the role key, named as the trainer named it; the other metrics by their own names.
  await waitFor("the loss chart", async () => (await num(page, "[data-testid=chart-loss]", "data-points")) === 10, 20_000);
  assert.match((await page.textContent("[data-testid=chart-loss] [data-testid=chart-subtitle]")) ?? "", /train\/loss/);
  assert.match((await page.textContent("[data-testid='chart-learning rate'] [data-testid=chart-subtitle]")) ?? "", /learning_rate/);
  assert.match((await page.textContent("[data-testid='chart-tokens/s'] [data-testid=chart-subtitle]")) ?? "", /throughput\(tps\)/);
  const other = "[data-testid=chart-section-other] [data-testid='chart-mfu(%)']";
  await waitFor("the mfu(%) chart", async () => (await num(page, other, "data-points")) === 10, 20_000);
  assert.ok(await page.$("[data-testid=chart-section-other] [data-testid=chart-my_loss]"));

  // Params: a key/value table, nested keys readable, a long value wrapped across the cell rather than a letter a line.
  const dt = await page.$("[data-testid=run-params-table] dt[data-key='optimizer/lr']");
  assert.ok(dt, "optimizer/lr is in the params table");
  assert.equal(await page.textContent("[data-testid=run-params-table] dd[data-value-of='optimizer/lr']"), "3e-4");
  const cell = (await page.$("[data-testid=run-params-table] dd[data-value-of=output_dir]"))!;
  assert.ok((await cell.boundingBox())!.width > 200, "a value cell has room for words");
  await page.fill("[data-testid=run-params-filter]", "optimizer");
  await waitFor("the params filter", async () => (await page.$$("[data-testid=run-params-table] dt")).length === 2);
  await page.fill("[data-testid=run-params-filter]", "");
  // Tags: MLflow's own behind a toggle.
  assert.ok(await page.$("[data-testid=run-tags-table] dt[data-key=team]"));
  assert.equal(await page.$("[data-testid=run-tags-table] dt[data-key='mlflow.source.name']"), null);
  await page.check("[data-testid=run-tags-show-hidden]");
  await page.waitForSelector("[data-testid=run-tags-table] dt[data-key='mlflow.source.name']");
  // Artifacts: each a download of what was uploaded.
  const href = await page.getAttribute("[data-testid=artifact-link]", "href");
  assert.equal(href, `/api/2.0/mlflow-artifacts/artifacts/${exp}/${runId}/artifacts/config/trainer.json`);
  assert.equal(await page.evaluate(async (h) => (await fetch(h!)).text(), href), '{"lr": 3e-4}');

  // Points logged over HTTP reach the open page live, and a metric never seen before gets its chart.
  await ml("runs/log-batch", { run_id: runId, metrics: [...metricsAt(10, 15), { key: "val/perplexity", value: 30, step: 14, timestamp: Date.now() }] });
  await waitFor("the live points", async () => (await num(page, "[data-testid=chart-loss]", "data-points")) === 15, 20_000);
  await waitFor("the mfu(%) chart to follow", async () => (await num(page, other, "data-points")) === 15, 20_000);
  await page.waitForSelector("[data-testid=chart-section-other] [data-testid='chart-val/perplexity']", { timeout: 20_000 });

  for (const [width, name] of [[1400, "1400"], [390, "390"]] as const) {
    await page.setViewportSize({ width, height: 1000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/outside-run-${name}.png`, fullPage: true });
    const overflow = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const wide = [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > width + 1);
      // The innermost offenders say what to fix.
      const innermost = wide.filter((e) => !wide.some((o) => o !== e && e.contains(o))).slice(0, 5);
      return { by: document.documentElement.scrollWidth - width, what: innermost.map((e) => `${e.tagName.toLowerCase()}.${e.className}`.slice(0, 120)) };
    });
    assert.ok(overflow.by <= 0, `the page is ${overflow.by}px wider than a ${width}px window: ${overflow.what.join(" | ")}`);
  }
  await page.setViewportSize({ width: 1400, height: 1000 });

  // Another metric as the loss: the loss chart shows its points, and train/loss joins the other metrics.
  assert.ok((await num(page, "[data-testid=chart-loss]", "data-ymax")) < 10);
  await page.selectOption("[data-testid=role-loss]", "my_loss");
  await waitFor("the loss chart to show my_loss", async () => (await num(page, "[data-testid=chart-loss]", "data-ymax")) === 64, 20_000);
  assert.match((await page.textContent("[data-testid=chart-loss] [data-testid=chart-subtitle]")) ?? "", /my_loss/);
  await page.waitForSelector("[data-testid=chart-section-other] [data-testid='chart-train/loss']");
  assert.equal(await page.$("[data-testid=chart-section-other] [data-testid=chart-my_loss]"), null);
  assert.equal((await server.api.outside.detail.query({ runId })).roles.loss, "my_loss");

  // Mark as ended: the run's status, here and on the server.
  await page.click("[data-testid=mark-ended]");
  await waitFor("the run to end", async () => (await page.textContent("[data-testid=run-status]"))?.trim() === "stopped", 20_000);
  assert.equal(await page.isDisabled("[data-testid=mark-ended]"), true);
  assert.equal((await server.api.run.get.query({ id: runId })).status, "stopped");

  // Beside one of ours: the runs table badges it and shows its step alone; compare charts both.
  const dataset = await prepareSmall(server);
  const ours = await server.api.run.create.mutate({ ...TINY, dataset, steps: 20, evalInterval: 10, evals: [], name: "ours" });
  await waitFor("our run to complete", async () => {
    const r = await server.api.run.get.query({ id: ours.id });
    if (r.status === "failed" || r.status === "crashed") throw new Error(`${r.status}: ${r.error}`);
    return r.status === "completed";
  }, 300_000);
  await page.goto(server.url);
  const row = `[data-testid=run-row][data-run-id='${runId}']`;
  await page.waitForSelector(row);
  assert.equal((await page.textContent(`${row} [data-testid=source-badge]`))?.trim(), "MLflow");
  assert.equal(await page.$(`[data-testid=run-row][data-run-id='${ours.id}'] [data-testid=source-badge]`), null);
  assert.ok(!(await page.textContent(`${row}`))!.includes("14/0"), "no progress towards zero steps");

  await page.goto(`${server.url}/compare?runs=${ours.id},${runId}`);
  await page.waitForSelector("[data-testid=compare-chart-loss]");
  await waitFor("both runs' loss", async () => (await num(page, "[data-testid=compare-chart-loss]", "data-points")) >= 15 + 20, 20_000);
  assert.ok(await page.$("[data-testid=compare-runs] [data-testid=source-badge]"));
  assert.ok(await page.$("[data-testid=compare-outside-note]"));
  const labels = JSON.parse((await page.getAttribute("[data-testid=compare-chart-loss]", "data-labels"))!);
  assert.deepEqual(labels, ["ours", "hf-gpt2-lr3e-4 · my_loss"], "the outside run's line is named by its own metric");
  await page.screenshot({ path: `${SHOTS}/outside-compare.png`, fullPage: true });
  assert.deepEqual(problems, []);
});
