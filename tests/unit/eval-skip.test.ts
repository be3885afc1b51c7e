// Examples the harness cannot score whole: a tiny model (16-token context) and synthetic rows
// whose continuations are longer than that.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { EvalSample } from "../../lib/eval/contracts";
import { selectBackend } from "../../trainer/backend/backend";
import { formatEvalMetrics } from "../../trainer/eval/mid-training";
import { EvalSuite } from "../../trainer/eval/run-evals";
import { disposeParams } from "../../trainer/model/model";
import { peakedModel, referenceLoglik, smallTokenizer } from "../helpers/peaked-model";

await selectBackend("wasm");
const root = fs.mkdtempSync(path.join(os.tmpdir(), "eval-skip-"));
const tok = smallTokenizer();
const { params, cfg } = peakedModel(tok.vocabSize);
after(() => {
  disposeParams(params);
  fs.rmSync(root, { recursive: true, force: true });
});
const jsonl = (name: string, rows: object[]) => {
  const file = path.join(root, name);
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return file;
};

const short = "walk the dog";
const long = "she sells sea shells by the sea shore and the shells she sells are sea shells";

test("a multiple-choice example with any choice longer than the context is skipped whole, counted, and in no metric", async () => {
  assert.ok(tok.encodeWithAddedTokens(" " + long).length > cfg.contextLength, "the long solution overflows the 16-token window");
  const rows = [
    { goal: "Keep the dog quiet", sol1: short, sol2: "sell it sea shells", label: 0 },
    { goal: "Keep the dog quiet", sol1: short, sol2: long, label: 1 }, // skipped: its second choice cannot be scored
    { goal: "A fox", sol1: "jumps over the dog", sol2: "reads the text", label: 1 },
    { goal: "The harbour wall", sol1: long, sol2: long, label: 0 }, // skipped
  ];
  const suite = await EvalSuite.prepare({ evals: [{ task: "piqa", file: jsonl("piqa.jsonl", rows) }], evalExamples: 100 }, tok);
  const result = await suite.run(params, cfg, 7, Infinity, 16, { samples: true });
  assert.ok(result.complete);
  assert.deepEqual(result.tasks, [{ task: "piqa", scored: 2, skipped: 2, subset: 4, examples: 4 }]);
  assert.equal(result.metrics["eval/piqa/n"], 2);
  assert.equal(result.metrics["eval/piqa/skipped"], 2);
  assert.deepEqual(result.predictions[0].predictions.map((p) => p.index).sort(), [0, 2], "only scored examples are stored as predictions");
  // acc over the two scored examples only.
  const ref = (i: number) => [rows[i].sol1, rows[i].sol2].map((s) => referenceLoglik(params, cfg, tok, `Question: ${rows[i].goal}\nAnswer:`, " " + s)!.ll);
  const correct = [0, 2].filter((i) => (ref(i)[0] >= ref(i)[1] ? 0 : 1) === rows[i].label).length;
  assert.equal(result.metrics["eval/piqa/acc"], correct / 2);
  assert.match(formatEvalMetrics(result.metrics), /^piqa acc [\d.]+ acc_norm [\d.]+ \(n 2, 2 skipped\)$/);

  const samples = result.samples!.map((s) => EvalSample.parse(s));
  assert.deepEqual(samples.map((s) => [s.doc_id, "skipped" in s]).sort(), [[0, false], [1, true], [2, false], [3, true]]);
  const skipped = samples.find((s) => s.doc_id === 1)!;
  assert.ok("skipped" in skipped);
  assert.match(skipped.skipped, /^the continuation is longer than the model's 16-token context \(\d+ tokens\)$/);
  assert.deepEqual(skipped.choices, [" " + short, " " + long]);
  assert.equal(skipped.gold, 1);
  const scored = samples.find((s) => s.doc_id === 0)!;
  assert.ok(!("skipped" in scored));
  assert.equal(scored.context, "Question: Keep the dog quiet\nAnswer:");
  assert.equal(scored.ll.length, 2);
  assert.equal(scored.is_greedy, undefined, "is_greedy is LAMBADA's");
  assert.equal(scored.correct, scored.prediction === scored.gold);
  assert.deepEqual(Object.keys(scored.metrics).sort(), ["acc", "acc_norm"]);
});

test("a benchmark file is not topped up: every example skipped leaves n 0 and no accuracy; LAMBADA records is_greedy", async () => {
  // Both LAMBADA rows fit (a one-word continuation; the first's context is cut from the left).
  const file = jsonl("lambada.jsonl", [{ text: `${long} ${long}` }, { text: "the quick brown fox" }]);
  const hs = jsonl("hs.jsonl", [{ activity_label: "Walking", ctx_a: "The dog.", ctx_b: "", endings: [long, short, short, short], label: 0 }]);
  const suite = await EvalSuite.prepare({ evals: [{ task: "hellaswag", file: hs }, { task: "lambada", file }], evalExamples: 1 }, tok);
  const r = await suite.run(params, cfg, 0, Infinity, 16, { samples: true });
  assert.equal(r.metrics["eval/hellaswag/n"], 0);
  assert.equal(r.metrics["eval/hellaswag/skipped"], 1);
  assert.equal(r.metrics["eval/hellaswag/acc"], undefined);
  assert.equal(r.metrics["eval/lambada/n"], 1, "--limit 1 scores one row, not the next one");
  assert.equal(r.metrics["eval/lambada/skipped"], undefined, "no skipped key when nothing was skipped");
  assert.ok(r.complete);
  const lambada = r.samples!.find((s) => s.task === "lambada")!;
  assert.ok(!("skipped" in lambada) && lambada.is_greedy?.length === 1 && lambada.prediction === (lambada.is_greedy[0] ? 1 : 0));
});
