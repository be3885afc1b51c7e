import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { browserTests, SCREENSHOTS } from "../helpers/browser";
import { prepareSmall, tempDataDir, TINY, waitFor } from "../helpers/server";


const e2e = browserTests();

test("compare checkpoints: deltas, a third checkpoint from the picker, text for two prompts, the example diff", { skip: e2e.skip }, async () => {
  const server = await e2e.start(tempDataDir("e2e-checkpoints"));
  const api = server.api;
  const dataset = await prepareSmall(server);
  const common = {
    ...TINY, dataset, steps: 60, checkpointInterval: 20, evalInterval: 20, evalBudget: 0.9, evalExamples: 24,
    evals: [{ task: "lambada" as const, file: "synthetic" }, { task: "hellaswag" as const, file: "synthetic" }],
  };
  const a = await api.run.create.mutate({ ...common, name: "base-3e-3" });
  const b = await api.run.create.mutate({ ...common, name: "slow-1e-3", lr: 1e-3, minLr: 1e-4 });
  await waitFor("both runs to complete", async () => {
    const runs = await api.run.list.query();
    const bad = runs.find((r) => r.status === "failed" || r.status === "crashed");
    if (bad) throw new Error(`${bad.name} ${bad.status}: ${bad.error}`);
    return runs.filter((r) => r.status === "completed").length === 2;
  }, 300_000);

  const browser = await e2e.browser();
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));

  // On the run page any checkpoints can be ticked for comparison, not only neighbours; a completed run offers no resume.
  await page.goto(`${server.url}/runs/${a.id}`);
  assert.equal(await page.locator("[data-testid=resume]").isDisabled(), true);
  await page.check("[data-testid=pick-20]");
  assert.equal(await page.locator("[data-testid=compare-picked]").count(), 0, "one ticked is not yet a comparison");
  await page.check("[data-testid=pick-60]");
  await page.click("[data-testid=compare-picked]");
  await page.waitForURL((u) => u.pathname === "/compare/checkpoints" && u.searchParams.get("c") === `${a.id}@20,${a.id}@60`);

  // Two checkpoints from the URL: a score table with deltas against the first.
  await page.goto(`${server.url}/compare/checkpoints?c=${a.id}@20,${a.id}@60`);
  await page.waitForSelector("[data-testid=scores]");
  assert.equal(await page.locator("[data-testid=checkpoint-chip]").count(), 2);
  const summary = await api.checkpointCompare.summary.query({ checkpoints: [{ runId: a.id, step: 20 }, { runId: a.id, step: 60 }] });
  const acc = summary.evals.find((r) => r.key === "eval/hellaswag/acc")!;
  const accRow = page.locator("[data-testid=score-row][data-key='eval/hellaswag/acc']");
  assert.equal(Number(await accRow.locator("[data-testid=score-B]").getAttribute("data-value")), acc.values[1]);
  const loss = page.locator("[data-testid=score-row][data-key=loss]");
  const lossDelta = summary.losses[0].deltas[1]!;
  assert.equal(await loss.locator("[data-testid=delta]").getAttribute("data-good"), String(lossDelta < 0), "a lower loss is coloured better");
  await page.screenshot({ path: path.join(SCREENSHOTS, "compare-checkpoints-two.png"), fullPage: true });

  // A third checkpoint, of the other run, from the picker: the URL follows and the config diff shows lr.
  await page.selectOption("[data-testid=pick-run]", b.id);
  await page.waitForSelector(`[data-testid=pick-step][data-run="${b.id}"] option[value="60"]`, { state: "attached" });
  await page.selectOption("[data-testid=pick-step]", "60");
  await page.click("[data-testid=pick-add]");
  await page.waitForURL((u) => u.searchParams.get("c") === `${a.id}@20,${a.id}@60,${b.id}@60`);
  await waitFor("three chips", async () => (await page.locator("[data-testid=checkpoint-chip]").count()) === 3);
  await page.waitForSelector("[data-testid=config-row][data-key=lr][data-differs=true]");

  // Two prompts, generated from every checkpoint: progress while it runs, then a 2 × 3 grid of texts.
  await page.click("[data-testid=prompt-remove-2]");
  await page.fill("[data-testid=prompt-0]", "The city");
  await page.fill("[data-testid=prompt-1]", "Once upon a time");
  await page.fill("[data-testid=gen-maxTokens]", "24");
  await page.fill("[data-testid=gen-seed]", "42");
  await page.click("[data-testid=generate-run]");
  await page.waitForSelector("[data-testid=generate-progress]");
  await waitFor("every text", async () => (await page.locator("[data-testid=continuation]").count()) === 6, 180_000);
  await page.waitForSelector("[data-testid=generate-progress]", { state: "detached" });
  const texts = await page.locator("[data-testid=continuation]").allTextContents();
  assert.ok(texts.every((t) => t.length > 0));
  const direct = await api.checkpointCompare.generate.mutate({
    checkpoints: [{ runId: a.id, step: 60 }], prompts: ["The city", "Once upon a time"], temperature: 0.8, topK: 40, maxTokens: 24, seed: 42,
  });
  assert.equal(await page.locator("[data-testid=text-B-1] [data-testid=continuation]").textContent(), direct.columns[0].results[1].text, "same seed, same text");
  await waitFor("the settings in the URL", () => new URL(page.url()).searchParams.get("seed") === "42" && new URL(page.url()).searchParams.getAll("p").length === 2);

  // The example diff: base A against the other run's C, on hellaswag; counts add up and items carry their text.
  await page.selectOption("[data-testid=examples-b]", "2");
  await page.selectOption("[data-testid=examples-task]", "hellaswag");
  await page.waitForSelector("[data-testid=example-counts][data-pair='AC:hellaswag']");
  const count = async (k: string) => Number(await page.getAttribute(`[data-testid=count-${k}]`, "data-n"));
  const total = Number(await page.getAttribute("[data-testid=example-counts]", "data-total"));
  assert.equal((await count("bothRight")) + (await count("bothWrong")) + (await count("fixed")) + (await count("broken")), total);
  const diff = await api.checkpointCompare.exampleDiff.query({ a: { runId: a.id, step: 20 }, b: { runId: b.id, step: 60 }, task: "hellaswag", limit: 50 });
  assert.equal(total, diff.counts.total);
  assert.equal(await page.locator("[data-testid=example]").count(), diff.fixed.length + diff.broken.length);
  if (diff.fixed.length + diff.broken.length > 0) {
    const first = page.locator("[data-testid=example]").first();
    assert.ok(((await first.locator("[data-testid=example-context]").textContent()) ?? "").length > 10);
    assert.equal(await first.locator("[data-testid=choice]").count(), 4);
    assert.equal(await first.locator("[data-testid=choice][data-gold=true]").count(), 1);
  }
  await page.waitForURL((u) => u.searchParams.get("task") === "hellaswag" && u.searchParams.get("b") === "2");

  await page.screenshot({ path: path.join(SCREENSHOTS, "compare-checkpoints.png"), fullPage: true });
  // The link reproduces the view: same checkpoints, prompts, seed and example pair.
  await page.reload();
  await page.waitForSelector("[data-testid=example-counts]");
  assert.equal(await page.inputValue("[data-testid=prompt-1]"), "Once upon a time");
  assert.equal(await page.inputValue("[data-testid=gen-seed]"), "42");
  assert.equal(await page.inputValue("[data-testid=examples-b]"), "2");

  // A link to a checkpoint that does not exist says so, and keeps the picker to fix it.
  await page.goto(`${server.url}/compare/checkpoints?c=${a.id}@20,${a.id}@21`);
  assert.match((await page.textContent("[data-testid=compare-error]")) ?? "", /has no checkpoint at step 21; it has steps 20, 40, 60/);
  await page.click("[data-testid=remove-1]");
  await page.waitForSelector("[data-testid=scores]");
  assert.equal(new URL(page.url()).searchParams.get("c"), `${a.id}@20`);
  assert.deepEqual(problems, []);
});
