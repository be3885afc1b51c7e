import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { openTestDb } from "../helpers/db";
import { prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";

let server: TestServer;
// Benchmark files registered by path must lie in DATA_DIR or an import root: this one is an import root.
const importRoot = tempDataDir("eval-files");
before(async () => {
  server = await startServer(tempDataDir("evals"), { IMPORT_ROOTS: importRoot });
});
after(async () => {
  await server?.stop();
});

const hellaswagLine = (label: number) =>
  JSON.stringify({ ind: 1, activity_label: "Baking", ctx_a: "A man puts flour in a bowl.", ctx_b: "he", endings: ["mixes it.", "flies away.", "sings.", "sleeps."], label });

test("benchmark files are parsed before they are registered, by path or upload", async () => {
  const dir = importRoot;
  const good = path.join(dir, "hs.jsonl");
  fs.writeFileSync(good, `${hellaswagLine(0)}\n${hellaswagLine(2)}\n`);
  const set = await server.api.evalSet.register.mutate({ task: "hellaswag", name: "tiny hs", path: good });
  assert.equal(set.examples, 2);

  const bad = path.join(dir, "bad.jsonl");
  fs.writeFileSync(bad, `${hellaswagLine(0)}\n{"ind": 2, "oops"\n`);
  await assert.rejects(server.api.evalSet.register.mutate({ task: "hellaswag", name: "bad", path: bad }), /bad\.jsonl.*2|line 2/);
  await assert.rejects(server.api.evalSet.register.mutate({ task: "piqa", name: "none", path: "/nonexistent.jsonl" }), /must lie inside DATA_DIR or an IMPORT_ROOTS directory/);
  const uploaded = await server.api.evalSet.register.mutate({ task: "lambada", name: "up", content: `{"text": "the cat sat on the mat and the cat"}\n` });
  assert.equal(uploaded.examples, 1);
  assert.ok(uploaded.path.startsWith(path.join(server.dataDir, "evalsets")));
  assert.equal((await server.api.evalSet.list.query()).length, 2);

  await assert.rejects(
    server.api.run.create.mutate({ ...TINY, name: "x", evals: [{ task: "piqa", file: good }] }),
    /registered for hellaswag, not piqa/,
  );
});

test("a run scores its benchmarks at eval steps, live, and stores per-example predictions", async () => {
  const dataset = await prepareSmall(server);
  const run = await server.api.run.create.mutate({
    ...TINY, name: "evals", dataset, steps: 60, evalInterval: 20, evalExamples: 16, evalBudget: 0.9,
    evals: [{ task: "lambada", file: "synthetic" }, { task: "hellaswag", file: "synthetic" }],
  });
  await waitFor("completed", async () => {
    const r = await server.api.run.get.query({ id: run.id });
    if (r.status === "crashed" || r.status === "failed") throw new Error(r.error ?? r.status);
    return r.status === "completed";
  }, 300_000);
  const history = await server.api.metric.history.query({ runId: run.id });
  for (const key of ["eval/hellaswag/acc", "eval/hellaswag/acc_norm", "eval/lambada/acc", "eval/lambada/perplexity"])
    assert.ok(history[key]?.length >= 2, `${key} was recorded at several steps`);
  const acc = history["eval/hellaswag/acc"].map((p) => p.value as number);
  assert.ok(acc.every((v) => v >= 0 && v <= 1));

  const db = await openTestDb(server.dataDir, { readonly: true });
  const steps = await db.all<{ step: number }>(`SELECT DISTINCT "step" FROM "EvalPrediction" WHERE "runId" = ? AND "task" = 'hellaswag' ORDER BY "step"`, run.id);
  await db.close();
  assert.ok(steps.length >= 2, "predictions are stored per step");
  const preds = await server.api.evalSet.predictions.query({ runId: run.id, task: "hellaswag", step: steps[0].step });
  assert.ok(preds.length > 0 && preds.length <= 16);
  const scored = history["eval/hellaswag/acc"].find((p) => p.step === steps[0].step)!.value as number;
  assert.ok(Math.abs(preds.filter((p) => p.correct).length / preds.length - scored) < 1e-9, "stored predictions agree with the score");
  assert.ok(preds.every((p) => p.synthetic && p.ll.length === 4));
});
