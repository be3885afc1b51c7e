import assert from "node:assert/strict";
import { test } from "node:test";
import { RunMonitor } from "../../lib/anomaly/monitor";

/** One evaluation round: accuracies, then n (the order the trainer happens to send is not relied on). */
const evalAt = (step: number, task: string, acc: number, n?: number, key = "acc") => [
  { step, key: `eval/${task}/${key}`, value: acc, wallTime: step },
  ...(n === undefined ? [] : [{ step, key: `eval/${task}/n`, value: n, wallTime: step }]),
];

test("accuracy 0.60 → 0.30 with n 500 is a regression", () => {
  const m = new RunMonitor();
  assert.deepEqual(m.observe(evalAt(100, "hellaswag", 0.6, 500)), []);
  const found = m.observe(evalAt(200, "hellaswag", 0.3, 500));
  assert.equal(found.length, 1);
  const [a] = found;
  assert.equal(a.type, "eval_regression");
  assert.equal(a.severity, "warning");
  assert.equal(a.key, "eval/hellaswag/acc");
  assert.equal(a.step, 200);
  assert.equal(a.value, 0.3);
  const se = Math.sqrt(0.45 * 0.55 * (2 / 500)); // pooled proportion 0.45
  assert.ok(Math.abs(a.threshold! - (0.6 - 3 * se)) < 1e-12, `${a.threshold}`);
  assert.equal(a.message, "eval/hellaswag/acc fell from 0.6 at step 100 to 0.3 at step 200 (−0.3, 9.53 standard errors with n 500 and 500; threshold −0.05 and 3 SE)");
});

test("small-n noise stays silent: 0.25 → 0.22 and even 0.25 → 0.15 with n 32", () => {
  const m = new RunMonitor();
  m.observe(evalAt(100, "arc_easy", 0.25, 32));
  assert.deepEqual(m.observe(evalAt(200, "arc_easy", 0.22, 32)), []);
  assert.deepEqual(m.observe(evalAt(300, "arc_easy", 0.25, 32)), []);
  assert.deepEqual(m.observe(evalAt(400, "arc_easy", 0.15, 32)), []); // 10 points, about 1 SE
  const big = new RunMonitor();
  big.observe(evalAt(100, "arc_easy", 0.25, 2000));
  assert.equal(big.observe(evalAt(200, "arc_easy", 0.15, 2000))[0]?.type, "eval_regression", "the same fall with n 2000 is real");
});

test("a fall under evalDrop is silent however large n is; rises never fire", () => {
  const m = new RunMonitor();
  m.observe(evalAt(100, "piqa", 0.7, 100_000));
  assert.deepEqual(m.observe(evalAt(200, "piqa", 0.66, 100_000)), []);
  assert.deepEqual(m.observe(evalAt(300, "piqa", 0.9, 100_000)), []);
});

test("acc_norm is watched separately, against its own previous evaluation", () => {
  const m = new RunMonitor();
  m.observe([...evalAt(100, "hellaswag", 0.3, 1000), ...evalAt(100, "hellaswag", 0.5, undefined, "acc_norm")]);
  const found = m.observe([...evalAt(200, "hellaswag", 0.31, 1000), ...evalAt(200, "hellaswag", 0.35, undefined, "acc_norm")]);
  assert.deepEqual(found.map((a) => [a.key, a.value]), [["eval/hellaswag/acc_norm", 0.35]]);
});

test("without n, the absolute drop alone decides; other eval keys are ignored", () => {
  const m = new RunMonitor();
  m.observe(evalAt(100, "lambada", 0.4));
  const [a] = m.observe(evalAt(200, "lambada", 0.3));
  assert.equal(a.type, "eval_regression");
  assert.equal(a.threshold, 0.4 - 0.05);
  assert.doesNotMatch(a.message, /standard errors/);
  m.observe([{ step: 100, key: "eval/lambada/perplexity", value: 10, wallTime: 0 }]);
  assert.deepEqual(m.observe([{ step: 200, key: "eval/lambada/perplexity", value: 1000, wallTime: 0 }]), []);
});

test("other keys are ignored, and an eval NaN is not a training NaN", () => {
  const m = new RunMonitor();
  assert.deepEqual(m.observe([{ step: 1, key: "lr", value: null, wallTime: 0 }, { step: 1, key: "eval/piqa/acc", value: null, wallTime: 0 }]), []);
});
