import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { readTaskFile } from "../../lib/eval/read-file";
import { buildRequests } from "../../lib/eval/tasks";
import { prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";

let server: TestServer;
let a: { id: string };
let b: { id: string };
let hsFile: string;
const code = (e: any) => e?.data?.code as string | undefined;

/** Twelve HellaSwag items with distinct contexts, so an index names exactly one of them. */
function hellaswagFile(dir: string) {
  const file = path.join(dir, "hs.jsonl");
  const animals = ["cat", "dog", "horse", "bird", "fish", "goat", "cow", "pig", "duck", "fox", "owl", "bee"];
  const lines = animals.map((x, i) =>
    JSON.stringify({ ind: i, activity_label: "Animals", ctx_a: `The ${x} walks to the river.`, ctx_b: "it", endings: ["drinks water.", "reads a book.", "drives a car.", "sings opera."], label: i % 4 }));
  fs.writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

before(async () => {
  server = await startServer(tempDataDir("checkpoint-compare"));
  const dataset = await prepareSmall(server);
  // A benchmark file registered by path must lie inside DATA_DIR (or an import root).
  hsFile = hellaswagFile(fs.mkdtempSync(path.join(server.dataDir, "files-")));
  await server.api.evalSet.register.mutate({ task: "hellaswag", name: "animals", path: hsFile });
  // Context 64: at 32 most synthetic HellaSwag endings do not fit beside their context and are skipped, as the harness skips them.
  const common = { ...TINY, contextLength: 64, dataset, checkpointInterval: 20, evalInterval: 20, evalBudget: 0.9 };
  a = await server.api.run.create.mutate({
    ...common, name: "cmp-a", steps: 60, evalExamples: 64,
    evals: [{ task: "lambada", file: "synthetic" }, { task: "hellaswag", file: "synthetic" }],
  });
  b = await server.api.run.create.mutate({
    ...common, name: "cmp-b", steps: 40, lr: 1e-3, minLr: 1e-4, evalExamples: 8,
    evals: [{ task: "lambada", file: "synthetic" }, { task: "hellaswag", file: hsFile }],
  });
  await waitFor("both runs to complete", async () => {
    const runs = await server.api.run.list.query();
    const bad = runs.find((r) => r.status === "failed" || r.status === "crashed");
    if (bad) throw new Error(`${bad.name} ${bad.status}: ${bad.error}`);
    return runs.filter((r) => r.status === "completed").length === 2;
  }, 400_000);
});
after(async () => {
  await server?.stop();
});

test("summary: scores at each checkpoint's step, losses at or before it, deltas against the first", async () => {
  const s = await server.api.checkpointCompare.summary.query({ checkpoints: [{ runId: a.id, step: 20 }, { runId: a.id, step: 60 }, { runId: b.id, step: 40 }] });
  assert.deepEqual(s.checkpoints.map((c) => [c.runName, c.step]), [["cmp-a", 20], ["cmp-a", 60], ["cmp-b", 40]]);
  assert.equal(s.checkpoints[2].config.lr, 1e-3);
  assert.deepEqual(s.checkpoints[0].predictionTasks, ["hellaswag", "lambada"]);

  const ha = await server.api.metric.history.query({ runId: a.id, maxPoints: 100_000 });
  const hb = await server.api.metric.history.query({ runId: b.id, maxPoints: 100_000 });
  const at = (h: typeof ha, key: string, step: number) => h[key].filter((p) => p.step <= step).at(-1)!;
  const expected = [at(ha, "loss", 20), at(ha, "loss", 60), at(hb, "loss", 40)];
  const loss = s.losses.find((r) => r.key === "loss")!;
  assert.deepEqual(loss.values, expected.map((p) => p.value));
  assert.deepEqual(loss.steps, expected.map((p) => p.step));
  assert.equal(loss.steps[1], 59, "the final checkpoint takes the last logged train loss");
  assert.equal(loss.better, "lower");
  assert.equal(loss.deltas[0], null);
  assert.ok(Math.abs(loss.deltas[1]! - (expected[1].value! - expected[0].value!)) < 1e-12);
  const val = s.losses.find((r) => r.key === "val_loss")!;
  assert.deepEqual(val.steps, [20, 60, 40], "val loss is evaluated at these checkpoint steps");

  const keys = s.evals.map((r) => r.key);
  for (const k of ["eval/hellaswag/acc", "eval/hellaswag/acc_norm", "eval/lambada/acc", "eval/lambada/perplexity", "eval/lambada/n"]) assert.ok(keys.includes(k), k);
  for (const row of s.evals) {
    const want = [ha[row.key]?.find((p) => p.step === 20), ha[row.key]?.find((p) => p.step === 60), hb[row.key]?.find((p) => p.step === 40)];
    assert.deepEqual(row.values, want.map((p) => p?.value ?? null), `${row.key} at exactly each step`);
    assert.deepEqual(row.deltas.slice(1), row.values.slice(1).map((v) => v === null || row.values[0] === null ? null : v - row.values[0]!));
  }
  assert.equal(s.evals.find((r) => r.key === "eval/lambada/perplexity")!.better, "lower");
  assert.equal(s.evals.find((r) => r.key === "eval/hellaswag/acc")!.better, "higher");
  assert.equal(s.evals.find((r) => r.key === "eval/lambada/n")!.better, null);
});

test("generate: every prompt from every checkpoint; the same seed gives the same text", async () => {
  const req = { checkpoints: [{ runId: a.id, step: 20 }, { runId: a.id, step: 60 }], prompts: ["The ", "It was"], temperature: 0.9, topK: 40, maxTokens: 12, seed: 7 };
  const first = await server.api.checkpointCompare.generate.mutate(req);
  assert.equal(first.seed, 7);
  assert.deepEqual(first.columns.map((c) => [c.step, c.results.length]), [[20, 2], [60, 2]]);
  const again = await server.api.checkpointCompare.generate.mutate(req);
  assert.deepEqual(again.columns.map((c) => c.results.map((r) => r.text)), first.columns.map((c) => c.results.map((r) => r.text)));
  // Batching changes nothing: one prompt alone, through checkpoint.generate, gives the same text.
  const single = await server.api.checkpoint.generate.mutate({ runId: a.id, step: 60, prompt: "It was", temperature: 0.9, topK: 40, maxTokens: 12, seed: 7 });
  assert.equal(first.columns[1].results[1].text, single.text);
  const other = await server.api.checkpointCompare.generate.mutate({ ...req, seed: 8 });
  assert.notDeepEqual(other.columns.map((c) => c.results.map((r) => r.text)), first.columns.map((c) => c.results.map((r) => r.text)));
  for (const c of first.columns) for (const r of c.results) assert.ok(r.tokens.length > 0 && r.tokens.length <= 12);
  console.log(first.columns.map((c) => `step ${c.step}: ${c.results.map((r) => JSON.stringify(r.text)).join(" | ")}`).join("\n"));
});

/** The counts and groups exampleDiff should give, from the stored predictions themselves. */
async function expectedDiff(ra: { id: string }, sa: number, rb: { id: string }, sb: number, task: "lambada" | "hellaswag") {
  const pa = await server.api.evalSet.predictions.query({ runId: ra.id, task, step: sa });
  const pb = new Map((await server.api.evalSet.predictions.query({ runId: rb.id, task, step: sb })).map((p) => [p.index, p]));
  const common = pa.filter((p) => pb.has(p.index));
  return {
    total: common.length,
    fixed: common.filter((p) => !p.correct && pb.get(p.index)!.correct).map((p) => p.index),
    broken: common.filter((p) => p.correct && !pb.get(p.index)!.correct).map((p) => p.index),
    bothRight: common.filter((p) => p.correct && pb.get(p.index)!.correct).length,
  };
}

test("exampleDiff: counts agree with the stored predictions, and each item carries its text", async () => {
  for (const task of ["hellaswag", "lambada"] as const) {
    const d = await server.api.checkpointCompare.exampleDiff.query({ a: { runId: a.id, step: 20 }, b: { runId: a.id, step: 60 }, task, limit: 500 });
    const want = await expectedDiff(a, 20, a, 60, task);
    const { counts } = d;
    assert.equal(counts.fixed + counts.broken + counts.bothRight + counts.bothWrong, counts.total);
    assert.equal(counts.total, want.total);
    assert.ok(counts.total > 0);
    assert.equal(counts.bothRight, want.bothRight);
    assert.deepEqual(d.fixed.map((x) => x.index), want.fixed);
    assert.deepEqual(d.broken.map((x) => x.index), want.broken);
    assert.equal(d.synthetic, true);
    assert.equal(d.kind, task === "lambada" ? "target" : "choice");
    // The text is the synthetic set's example at that index, as the trainer scored it.
    const examples = readTaskFile(task, d.file);
    for (const item of [...d.fixed, ...d.broken]) {
      assert.equal(item.note, null);
      const requests = buildRequests(task, examples[item.index] as never);
      assert.deepEqual(item.text, { context: requests[0].context, choices: requests.map((r) => r.continuation) });
      assert.ok(item.text!.context.length > 0);
      assert.equal(item.a.correct, !item.b.correct);
    }
    console.log(`${task} 20→60: ${JSON.stringify(counts)}`);
  }

  // A synthetic set whose cached file is gone is rebuilt the trainer's way, to the same text.
  const pair = { a: { runId: a.id, step: 20 }, b: { runId: a.id, step: 60 }, task: "hellaswag" as const, limit: 500 };
  const before = await server.api.checkpointCompare.exampleDiff.query(pair);
  const items = [...before.fixed, ...before.broken];
  const cached = fs.readFileSync(before.file);
  fs.rmSync(before.file);
  const rebuilt = await server.api.checkpointCompare.exampleDiff.query(pair);
  assert.ok(fs.readFileSync(before.file).equals(cached), "the rebuilt set is byte for byte the one the trainer scored");
  assert.deepEqual(rebuilt.counts, before.counts);
  assert.deepEqual([...rebuilt.fixed, ...rebuilt.broken], items);

  // A registered file: the stored index is the example's line in the file (the run scored a seeded subset of it).
  const reg = await server.api.checkpointCompare.exampleDiff.query({ a: { runId: b.id, step: 20 }, b: { runId: b.id, step: 40 }, task: "hellaswag", limit: 500 });
  assert.equal(reg.counts.total, (await expectedDiff(b, 20, b, 40, "hellaswag")).total);
  assert.ok(reg.counts.total > 0 && reg.counts.total <= 8);
  assert.equal(reg.synthetic, false);
  assert.equal(reg.file, hsFile);
  const stored = await server.api.evalSet.predictions.query({ runId: b.id, task: "hellaswag", step: 20 });
  assert.ok(stored.some((p) => p.index >= 8), "the subset is not simply the first lines");
  for (const item of [...reg.fixed, ...reg.broken]) {
    const animal = ["cat", "dog", "horse", "bird", "fish", "goat", "cow", "pig", "duck", "fox", "owl", "bee"][item.index];
    assert.equal(item.text!.context, `Animals: The ${animal} walks to the river. It`);
    assert.equal(item.gold, item.index % 4);
  }
});

test("exampleDiff: unrecoverable text is a note, not a failure; different example sets are refused", async () => {
  const moved = `${hsFile}.moved`;
  fs.renameSync(hsFile, moved);
  try {
    const d = await server.api.checkpointCompare.exampleDiff.query({ a: { runId: b.id, step: 20 }, b: { runId: b.id, step: 40 }, task: "hellaswag", limit: 500 });
    assert.ok(d.counts.total > 0);
    for (const item of [...d.fixed, ...d.broken]) {
      assert.equal(item.text, null);
      assert.match(item.note!, /Text unavailable: the benchmark file .* is gone/);
    }
  } finally {
    fs.renameSync(moved, hsFile);
  }
  await assert.rejects(
    server.api.checkpointCompare.exampleDiff.query({ a: { runId: a.id, step: 20 }, b: { runId: b.id, step: 20 }, task: "hellaswag", limit: 10 }),
    (e: any) => code(e) === "BAD_REQUEST" && /cmp-a and cmp-b scored hellaswag on different example sets/.test(e.message),
  );
  // Same dataset, same synthetic lambada set: two runs' examples do match.
  const cross = await server.api.checkpointCompare.exampleDiff.query({ a: { runId: a.id, step: 40 }, b: { runId: b.id, step: 40 }, task: "lambada", limit: 5 });
  assert.ok(cross.counts.total > 0 && cross.fixed.length <= 5 && cross.broken.length <= 5);
});

test("bad input gets clear errors", async () => {
  const reject = async (p: Promise<unknown>, want: string, pattern: RegExp) =>
    assert.rejects(p, (e: any) => {
      assert.equal(code(e), want, e.message);
      assert.match(e.message, pattern);
      return true;
    });
  const cc = server.api.checkpointCompare;
  await reject(cc.summary.query({ checkpoints: [{ runId: "nope", step: 20 }] }), "NOT_FOUND", /No run with id nope/);
  await reject(cc.summary.query({ checkpoints: [{ runId: a.id, step: 21 }] }), "NOT_FOUND", /cmp-a .* has no checkpoint at step 21; it has steps 20, 40, 60/);
  const seven = Array.from({ length: 7 }, (_, i) => ({ runId: a.id, step: i }));
  await reject(cc.summary.query({ checkpoints: seven }), "BAD_REQUEST", /checkpoints: At most 6 checkpoints/);
  await reject(cc.summary.query({ checkpoints: [{ runId: a.id, step: 20 }, { runId: a.id, step: 20 }] }), "BAD_REQUEST", /listed twice/);
  const gen = { checkpoints: [{ runId: a.id, step: 20 }], prompts: ["Hi"], temperature: 0.8, topK: 40, maxTokens: 5, seed: 1 };
  await reject(cc.generate.mutate({ ...gen, prompts: ["x".repeat(2001)] }), "BAD_REQUEST", /prompts\.0: At most 2,000 characters/);
  await reject(cc.generate.mutate({ ...gen, prompts: [""] }), "BAD_REQUEST", /prompts\.0: A prompt cannot be empty/);
  await reject(cc.generate.mutate({ ...gen, prompts: [] }), "BAD_REQUEST", /prompts: Give at least one prompt/);
  await reject(cc.generate.mutate({ ...gen, maxTokens: 0 }), "BAD_REQUEST", /maxTokens: At least 1/);
  await reject(cc.generate.mutate({ ...gen, checkpoints: [{ runId: a.id, step: 99 }] }), "NOT_FOUND", /no checkpoint at step 99/);
  await reject(cc.exampleDiff.query({ a: { runId: a.id, step: 20 }, b: { runId: a.id, step: 40 }, task: "piqa", limit: 5 }), "NOT_FOUND",
    /cmp-a has no stored piqa predictions at step 20; it has hellaswag, lambada/);
  await reject(cc.exampleDiff.query({ a: { runId: a.id, step: 20 }, b: { runId: a.id, step: 40 }, task: "nope" as never, limit: 5 }), "BAD_REQUEST", /task/);
});
