import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { syntheticSetFile } from "../../formats/eval-sets";
import { EvalPredictions, type EvalTask } from "../../lib/eval/contracts";
import { Rng } from "../../lib/rng";
import { RunConfig } from "../../lib/run-config";
import { selectBackend } from "../../trainer/backend/backend";
import { EvalSuite, seededSubset } from "../../trainer/eval/run-evals";
import { readDatasetTokenizer } from "../../trainer/inference/generate";
import { createParams, disposeParams, modelConfig } from "../../trainer/model/model";
import { prepareBrown } from "../helpers/brown-dataset";
import { peakedModel, referenceLoglik, smallTokenizer } from "../helpers/peaked-model";
import { writeTextDataset } from "../helpers/text-dataset";

await selectBackend("wasm");
const root = fs.mkdtempSync(path.join(os.tmpdir(), "eval-suite-"));
const tok = smallTokenizer();
const { params, cfg } = peakedModel(tok.vocabSize);
after(() => {
  disposeParams(params);
  fs.rmSync(root, { recursive: true, force: true });
});

function jsonl(name: string, rows: object[]): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return file;
}

/** Each example with the context and choices the harness builds for it, written out by hand. */
const CASES: { task: EvalTask; row: object; context: string; choices: string[]; gold: number }[] = [
  ...["The quick brown fox jumps over the lazy dog", "She sells sea shells by the sea shore", "the old man walked his dog along the harbour wall"].map((text) => {
    const words = text.split(" ");
    // LAMBADA's gold is 1: its prediction is is_greedy.
    return { task: "lambada" as const, row: { text }, context: words.slice(0, -1).join(" "), choices: [words.at(-1)!], gold: 1 };
  }),
  ...[0, 1, 2].map((label) => ({
    task: "hellaswag" as const,
    row: { activity_label: "Walking", ctx_a: "The old man walked his dog.", ctx_b: "the dog", endings: ["barks at a fox.", "sells sea shells.", "reads the text.", "jumps over it."], label },
    context: "Walking: The old man walked his dog. The dog",
    choices: ["barks at a fox.", "sells sea shells.", "reads the text.", "jumps over it."],
    gold: label,
  })),
  ...[0, 1].map((label) => ({
    task: "piqa" as const,
    row: { goal: "Keep the dog quiet", sol1: "walk it along the river", sol2: "sell it sea shells", label },
    context: "Question: Keep the dog quiet\nAnswer:",
    choices: ["walk it along the river", "sell it sea shells"],
    gold: label,
  })),
  {
    task: "arc_easy",
    row: { question: "Which animal is quick?", choices: { text: ["the fox", "the shell", "a river"], label: ["A", "B", "C"] }, answerKey: "A" },
    context: "Question: Which animal is quick?\nAnswer:",
    choices: ["the fox", "the shell", "a river"],
    gold: 0,
  },
];

const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test("a fixed model's scores on every task match a naive reference built from per-token log-probabilities", async () => {
  const tasks = [...new Set(CASES.map((c) => c.task))];
  const evals = tasks.map((task) => ({ task, file: jsonl(`${task}.jsonl`, CASES.filter((c) => c.task === task).map((c) => c.row)) }));
  const suite = await EvalSuite.prepare({ evals, evalExamples: 100 }, tok);
  const { metrics, predictions, complete } = await suite.run(params, cfg, 42);
  assert.ok(complete);
  for (const task of tasks) {
    const cases = CASES.filter((c) => c.task === task);
    const refs = cases.map((c) => c.choices.map((ch) => referenceLoglik(params, cfg, tok, c.context, " " + ch)!));
    const p = EvalPredictions.parse(predictions.find((x) => x.task === task));
    assert.equal(p.step, 42);
    assert.equal(p.synthetic, false);
    assert.deepEqual(p.predictions.map((x) => x.index).sort(), cases.map((_, i) => i));
    for (const row of p.predictions) {
      const ref = refs[row.index];
      row.ll.forEach((ll, k) => assert.ok(Math.abs(ll! - ref[k].ll) < 1e-3 * Math.max(1, Math.abs(ref[k].ll)), `${task} ${row.index}.${k}: ${ll} vs ${ref[k].ll}`));
      assert.equal(row.gold, cases[row.index].gold);
    }
    assert.equal(metrics[`eval/${task}/n`], cases.length);
    if (task === "lambada") {
      assert.ok(Math.abs(metrics["eval/lambada/acc"] - mean(refs.map((r) => (r[0].isGreedy ? 1 : 0)))) < 1e-12);
      const ppl = Math.exp(-mean(refs.map((r) => r[0].ll)));
      assert.ok(Math.abs(metrics["eval/lambada/perplexity"] / ppl - 1) < 1e-3, `perplexity ${metrics["eval/lambada/perplexity"]} vs ${ppl}`);
    } else {
      const acc = mean(cases.map((c, i) => (argmax(refs[i].map((r) => r.ll)) === c.gold ? 1 : 0)));
      const accNorm = mean(cases.map((c, i) => (argmax(refs[i].map((r, k) => r.ll / c.choices[k].length)) === c.gold ? 1 : 0)));
      assert.equal(metrics[`eval/${task}/acc`], acc, task);
      assert.equal(metrics[`eval/${task}/acc_norm`], accNorm, task);
    }
  }
  // The hellaswag items differ only in the label, so the chosen ending is the same for all three.
  const hs = predictions.find((x) => x.task === "hellaswag")!.predictions;
  assert.equal(new Set(hs.map((x) => x.prediction)).size, 1);
  assert.equal(metrics["eval/hellaswag/acc"], 1 / 3);
});

test("the subset is fixed and seeded: the same every time, nested as it grows, and a budget cut scores a prefix of it", async () => {
  const file = jsonl("many.jsonl", Array.from({ length: 40 }, (_, i) => ({ text: `The fox number ${i} jumps over the lazy dog and the fox` })));
  const prepare = (n: number) => EvalSuite.prepare({ evals: [{ task: "lambada", file }], evalExamples: n }, tok);
  const [a, b, c] = await Promise.all([prepare(10), prepare(10), prepare(25)]);
  assert.deepEqual(b.sets[0].subset, a.sets[0].subset);
  assert.deepEqual(c.sets[0].subset.slice(0, 10), a.sets[0].subset);
  assert.equal(new Set(c.sets[0].subset).size, 25);
  assert.notDeepEqual(a.sets[0].subset, [...a.sets[0].subset].sort((x, y) => x - y), "a shuffle, not the file's first lines");
  assert.deepEqual(seededSubset(5, 10).sort(), [0, 1, 2, 3, 4]);

  const full = await c.run(params, cfg, 1);
  const again = await c.run(params, cfg, 1);
  assert.deepEqual(again.metrics, full.metrics);
  assert.deepEqual(again.predictions, full.predictions);
  assert.deepEqual(full.predictions[0].predictions.map((p) => p.index), c.sets[0].subset);

  // No time at all: one batch of whole examples is still scored, the first of the subset.
  const cut = await c.run(params, cfg, 1, 0, 8);
  assert.equal(cut.complete, false);
  assert.equal(cut.metrics["eval/lambada/n"], 8);
  // Another batch size is another matrix shape: a BLAS may round the last bits differently.
  const cutRows = cut.predictions[0].predictions;
  const fullRows = full.predictions[0].predictions.slice(0, 8);
  assert.deepEqual(cutRows.map((r) => [r.index, r.prediction]), fullRows.map((r) => [r.index, r.prediction]));
  cutRows.forEach((r, i) =>
    r.ll.forEach((v, j) => {
      const w = fullRows[i].ll[j];
      assert.ok(v === w || (v !== null && w !== null && Math.abs(v - w) <= 1e-5 * Math.abs(v)), `ll of example ${r.index}: ${v} vs ${w}`);
    }));
});

test("synthetic sets are cut from the dataset's held-out text once, deterministically, and cached beside it", async () => {
  const dataDir = path.join(root, "brown");
  const manifest = await prepareBrown(dataDir);
  const tokenizer = readDatasetTokenizer(dataDir, manifest.id, manifest.tokenizer.vocabSize);
  const sources = {
    evals: [{ task: "lambada" as const, file: "synthetic" }, { task: "hellaswag" as const, file: "synthetic" }],
    evalExamples: 16,
    dataset: { dataDir, manifest, decode: (ids: ArrayLike<number>) => tokenizer.decode(ids) },
  };
  const logs: string[] = [];
  const first = await EvalSuite.prepare(sources, tokenizer, (m) => void logs.push(m));
  assert.equal(logs.filter((l) => l.startsWith("built a synthetic")).length, 2, logs.join("\n"));
  const files = (["lambada", "hellaswag"] as const).map((t) => syntheticSetFile(dataDir, manifest.id, t));
  const bytes = files.map((f) => fs.readFileSync(f, "utf8"));
  assert.ok(first.sets.every((s) => s.synthetic && s.examples.length >= 50 && s.subset.length === 16), first.sets.map((s) => s.examples.length).join());

  const cached: string[] = [];
  const second = await EvalSuite.prepare(sources, tokenizer, (m) => void cached.push(m));
  assert.deepEqual(cached, [], "read from the cache");
  assert.deepEqual(second.sets.map((s) => s.examples), first.sets.map((s) => s.examples));
  files.forEach((f) => fs.rmSync(f));
  await EvalSuite.prepare(sources, tokenizer);
  assert.deepEqual(files.map((f) => fs.readFileSync(f, "utf8")), bytes, "rebuilt byte for byte");

  const model = modelConfig(RunConfig.parse({ name: "x" }), manifest.tokenizer.vocabSize);
  const weights = createParams(model, new Rng(1));
  const run = await first.run(weights, model, 0);
  disposeParams(weights);
  // A synthetic example whose continuation is longer than the model's context is passed over, and
  // counted, for the next one in the seeded order: n stays 16.
  assert.deepEqual(run.predictions.map((p) => [p.task, EvalPredictions.parse(p).synthetic, p.predictions.length]), [["lambada", true, 16], ["hellaswag", true, 16]]);
  assert.ok(run.tasks.some((t) => t.skipped > 0), "Brown sentences overflow the 64-token context at vocabulary 512");
  for (const t of run.tasks) assert.equal(run.metrics[`eval/${t.task}/skipped`], t.skipped || undefined);
  run.predictions.forEach((p, i) => {
    // Scored in the seeded order, which starts with the subset, and walked no further than needed.
    const { order, subset } = first.sets[i];
    const scored = p.predictions.map((x) => x.index);
    assert.deepEqual(order.slice(0, 16), subset);
    assert.deepEqual(scored, order.slice(0, 16 + run.tasks[i].skipped).filter((j) => scored.includes(j)));
    assert.equal(order.indexOf(scored.at(-1)!), 16 + run.tasks[i].skipped - 1);
  });

  await assert.rejects(EvalSuite.prepare({ ...sources, evals: [{ task: "piqa", file: "synthetic" }] }, tokenizer), /there is no synthetic piqa set; register a piqa file/);
  await assert.rejects(EvalSuite.prepare({ evals: [{ task: "hellaswag", file: path.join(root, "missing.jsonl") }], evalExamples: 4 }, tokenizer), /ENOENT|no such file/);
  const bad = jsonl("bad.jsonl", [{ text: "fine line" }, { txt: "oops" }]);
  await assert.rejects(EvalSuite.prepare({ evals: [{ task: "lambada", file: bad }], evalExamples: 4 }, tokenizer), /bad\.jsonl:2: lambada/);

  // Held-out text with no prose (random tokens): the benchmark is left out with a reason.
  const noise = writeTextDataset(path.join(root, "noise"));
  const left: string[] = [];
  const empty = await EvalSuite.prepare(
    { ...sources, dataset: { dataDir: path.join(root, "noise"), manifest: noise.manifest, decode: (ids) => noise.tokenizer.decode(ids) } },
    noise.tokenizer,
    (m) => void left.push(m),
  );
  assert.equal(empty.sets.length, 0);
  assert.match(left.join("\n"), /benchmark lambada left out: dataset ds-\w+ has too little held-out text to build a synthetic lambada set/);
});

test("examples per second on the default model, by task and batch size (printed, not asserted)", async () => {
  const dataDir = path.join(root, "brown-2048");
  const manifest = await prepareBrown(dataDir, 2048, 40);
  const config = RunConfig.parse({ name: "bench", dataset: manifest.id });
  const tokenizer = readDatasetTokenizer(dataDir, manifest.id, manifest.tokenizer.vocabSize);
  const model = modelConfig(config, manifest.tokenizer.vocabSize);
  const weights = createParams(model, new Rng(1));
  const dataset = { dataDir, manifest, decode: (ids: ArrayLike<number>) => tokenizer.decode(ids) };
  const lines: string[] = [];
  for (const task of ["lambada", "hellaswag"] as const) {
    const suite = await EvalSuite.prepare({ evals: [{ task, file: "synthetic" }], evalExamples: config.evalExamples, dataset }, tokenizer);
    await suite.run(weights, model, 0, Infinity, 16); // warm-up
    const rates: string[] = [];
    for (const bs of [1, 4, 16, 64]) {
      const r = await suite.run(weights, model, 0, Infinity, bs);
      rates.push(`batch ${bs}: ${(r.metrics[`eval/${task}/n`] / (r.ms / 1000)).toFixed(1)}`);
    }
    lines.push(`${task} examples/s ${rates.join(", ")}`);
  }
  disposeParams(weights);
  console.log(`# default model (${config.nLayer} layers, width ${config.dModel}, context ${config.contextLength}, vocabulary ${manifest.tokenizer.vocabSize}) on wasm:\n# ${lines.join("\n# ")}`);
});
