// Benchmarks inside train(): when they run, what they emit, the time budget, and exact resume.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { Server } from "socket.io";
import { EvalPredictions, EvalSample } from "../../lib/eval/contracts";
import { EV, type MetricPoint } from "../../lib/protocol";
import { RunConfig, type RunConfigInput } from "../../lib/run-config";
import { loadLatest } from "../../trainer/checkpoint/checkpoint";
import { loadGenerator } from "../../trainer/inference/generate";
import { type TrainHooks, train } from "../../trainer/loop/train";
import { prepareBrown } from "../helpers/brown-dataset";

const repo = path.resolve(import.meta.dirname, "../..");
const root = fs.mkdtempSync(path.join(os.tmpdir(), "eval-train-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const dataDir = path.join(root, "data");
const manifest = await prepareBrown(dataDir);

// A large batch and few examples, so that a round takes far less than the steps between rounds.
const tiny = (over: Partial<RunConfigInput> = {}) =>
  RunConfig.parse({
    name: "e", nLayer: 1, nHead: 2, dModel: 32, contextLength: 32, batchSize: 32, steps: 12, warmupSteps: 2, evalInterval: 3,
    evalBatches: 1, checkpointInterval: 6, evalExamples: 4, evalBudget: 0.9, dataset: manifest.id, backend: "wasm", seed: 3, ...over,
  });

function recorder(stopAfter = Infinity) {
  const metrics: MetricPoint[] = [];
  const predictions: EvalPredictions[] = [];
  const logs: string[] = [];
  let iterations = 0;
  const hooks: TrainHooks = {
    onStart: () => {},
    onMetrics: (ps) => void metrics.push(...ps),
    onCheckpoint: () => {},
    onEvalPredictions: (p) => void predictions.push(EvalPredictions.parse(p)),
    onLog: (m) => void logs.push(m),
    shouldStop: () => ++iterations >= stopAfter,
  };
  const steps = (key: string) => metrics.filter((m) => m.key === key).map((m) => m.step);
  const value = (key: string, step: number) => metrics.find((m) => m.key === key && m.step === step)?.value;
  return { hooks, metrics, predictions, logs, steps, value };
}

test("benchmarks run at every eval step and checkpoint, once where they coincide, and emit metrics and predictions", async () => {
  const rec = recorder();
  await train(tiny(), { runDir: path.join(root, "run"), dataDir }, rec.hooks);
  // Eval steps 0, 3, 6, 9; checkpoint 6 (with eval 6) and the final 12.
  const rounds = [0, 3, 6, 9, 12];
  for (const task of ["lambada", "hellaswag"]) assert.deepEqual(rec.steps(`eval/${task}/n`), rounds, task);
  for (const key of ["eval/lambada/acc", "eval/lambada/perplexity", "eval/hellaswag/acc", "eval/hellaswag/acc_norm"]) {
    assert.deepEqual(rec.steps(key), rounds, key);
    assert.ok(rec.metrics.filter((m) => m.key === key).every((m) => Number.isFinite(m.value) && m.wallTime > 1.6e9), key);
  }
  assert.ok(rec.metrics.filter((m) => m.key.endsWith("/n")).every((m) => m.value === 4));
  assert.ok(rec.value("eval/lambada/perplexity", 12)! < rec.value("eval/lambada/perplexity", 0)!, "training lowers the synthetic LAMBADA perplexity");
  assert.deepEqual(rec.predictions.map((p) => `${p.step}:${p.task}`), rounds.flatMap((s) => [`${s}:lambada`, `${s}:hellaswag`]));
  assert.ok(rec.predictions.every((p) => p.synthetic && p.predictions.length === 4));
  const hs = rec.predictions.find((p) => p.task === "hellaswag" && p.step === 12)!;
  assert.equal(rec.value("eval/hellaswag/acc", 12), hs.predictions.filter((p) => p.correct).length / 4);
  assert.ok(hs.predictions.every((p) => p.ll.length === 4));
  assert.ok(rec.logs.some((l) => /^benchmarks at step 12 in [\d.]+ s: lambada acc [\d.]+ perplexity [\d.e+]+ \(n 4\) │ hellaswag acc/.test(l)), rec.logs.join("\n"));
});

function evalCli(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", path.join(repo, "trainer", "cli", "eval.ts"), ...args], { cwd: repo, encoding: "utf8" });
}

test("the eval CLI prints the metrics mid-training evaluation reported for the same checkpoint and subset", async () => {
  const rec = recorder();
  const runDir = path.join(root, "cli-run");
  await train(tiny({ steps: 6, evalInterval: 100, checkpointInterval: 100 }), { runDir, dataDir }, rec.hooks);
  const stepDir = path.join(runDir, "checkpoints", "step-000006");
  const r = evalCli("--checkpoint", stepDir, "--task", "hellaswag", "--data", "synthetic", "--limit", "4", "--data-dir", dataDir);
  assert.equal(r.status, 0, r.stderr);
  for (const key of ["eval/hellaswag/acc", "eval/hellaswag/acc_norm", "eval/hellaswag/n"])
    assert.ok(r.stdout.includes(`${key} ${rec.value(key, 6)}\n`), `${key} ${rec.value(key, 6)} in\n${r.stdout}`);
  assert.match(r.stdout, /^4 examples in [\d.]+ s \([\d.]+ examples\/s\)$/m);
  assert.match(r.stderr, /hellaswag: 4 of [\d,]+ examples from .*synthetic-hellaswag\.jsonl; checkpoint step 6 on wasm/);
  assert.match(r.stdout, /^subset: the first 4 rows that fit the model in a seeded order of all [\d,]+ rows \(the order starts \d+, \d+, \d+, \d+;/m);

  // --output: one record per example, a skipped one (a solution longer than the 32-token context) with its reason.
  const piqa = path.join(root, "piqa.jsonl");
  const longSol = Array.from({ length: 12 }, () => "the dog walked along the harbour wall").join(" and ");
  const piqaRows = [
    { goal: "Keep a dog calm", sol1: "walk it", sol2: "shout at it", label: 0 },
    { goal: "Cross a river", sol1: "use the bridge", sol2: longSol, label: 0 },
    { goal: "Dry a towel", sol1: "hang it in the sun", sol2: "put it in the sea", label: 0 },
  ];
  fs.writeFileSync(piqa, piqaRows.map((x) => JSON.stringify(x)).join("\n") + "\n");
  const samplesFile = path.join(root, "samples.jsonl");
  const out = evalCli("--checkpoint", stepDir, "--task", "piqa", "--data", piqa, "--output", samplesFile, "--data-dir", dataDir);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /^subset: all 3 rows$/m);
  assert.match(out.stdout, /^eval\/piqa\/n 2$/m);
  assert.match(out.stdout, /^eval\/piqa\/skipped 1$/m);
  assert.match(out.stdout, /^skipped 1 \(not scored, in no metric; the harness cannot score them whole\): 1: the continuation is longer than the model's 32-token context$/m);
  assert.match(out.stdout, /\(n 2, 1 skipped\)/);
  const samples = fs.readFileSync(samplesFile, "utf8").trim().split("\n").map((l) => EvalSample.parse(JSON.parse(l)));
  assert.deepEqual(samples.map((x) => x.doc_id).sort(), [0, 1, 2]);
  const skippedRow = samples.find((x) => x.doc_id === 1)!;
  assert.ok("skipped" in skippedRow && /longer than the model's 32-token context \(\d+ tokens\)/.test(skippedRow.skipped));
  const accOut = Number(/^eval\/piqa\/acc (\S+)$/m.exec(out.stdout)![1]);
  const scoredRows = samples.filter((x) => !("skipped" in x));
  assert.equal(accOut, scoredRows.filter((x) => "correct" in x && x.correct).length / 2, "the records agree with the metric");
  for (const x of scoredRows) assert.ok("ll" in x && x.ll.length === 2 && x.context === `Question: ${piqaRows[x.doc_id].goal}\nAnswer:` && x.choices[0] === " " + piqaRows[x.doc_id].sol1);
  const limited = evalCli("--checkpoint", stepDir, "--task", "piqa", "--data", piqa, "--limit", "2", "--data-dir", dataDir);
  assert.match(limited.stdout, /^subset: a seeded random subset of 2 of 3 rows, the one a run with evalExamples 2 scores \(rows \d, \d;/m);

  const file = path.join(root, "lambada.jsonl");
  fs.writeFileSync(file, ["the fox saw the dog and the dog saw the fox", "a cat sat on the mat near the cat"].map((text) => JSON.stringify({ text })).join("\n"));
  const ok = evalCli("--checkpoint", path.join(stepDir, "checkpoint.safetensors"), "--task", "lambada", "--data", file, "--data-dir", dataDir);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^eval\/lambada\/n 2$/m);
  assert.match(ok.stdout, /^eval\/lambada\/perplexity \d/m);

  const bad = (args: string[], code: number, message: RegExp) => {
    const res = evalCli(...args);
    assert.equal(res.status, code, `${args.join(" ")}: ${res.stderr}`);
    assert.match(res.stderr, message);
  };
  const base = ["--checkpoint", stepDir, "--data-dir", dataDir];
  bad([...base, "--data", file], 2, /--task is required: one of lambada, hellaswag, piqa, arc_easy/);
  bad([...base, "--task", "mmlu", "--data", file], 2, /--task is required: one of/);
  bad([...base, "--task", "lambada"], 2, /--data <file\.jsonl or synthetic> is required/);
  bad([...base, "--task", "lambada", "--data", file, "--limit", "0"], 2, /--limit must be at least 1/);
  bad([...base, "--task", "lambada", "--data", file, "--limit", "x"], 2, /--limit must be a number/);
  bad([...base, "--task", "lambada", "--data", file, "--bogus"], 2, /Unknown option '--bogus'/);
  bad([...base, "--task", "lambada", "--data", path.join(root, "none.jsonl")], 2, /--data: no benchmark file at .*none\.jsonl/);
  bad(["--checkpoint", path.join(root, "nowhere"), "--task", "lambada", "--data", file], 1, /no checkpoint at .*nowhere/);
  bad([...base, "--task", "piqa", "--data", file], 1, /lambada\.jsonl:1: piqa: /);
  bad([...base, "--task", "piqa", "--data", "synthetic"], 1, /there is no synthetic piqa set/);
  bad([...base, "--task", "lambada", "--data", file, "--output", root], 2, /--output: .* is a directory; give a file name/);
  bad([...base, "--task", "lambada", "--data", file, "--output", path.join(root, "nodir", "s.jsonl")], 2, /--output: no directory .*nodir/);
  bad([...base, "--task", "lambada", "--data", file, "--output", file], 2, /--output: .*lambada\.jsonl is the benchmark file itself/);
  bad([...base, "--task", "lambada", "--data", file, "--output"], 2, /Option '--output <value>' argument missing/);
});

test("exact resume stays bit-identical with benchmarks on, and the resumed run scores the same", async () => {
  const config = tiny({ steps: 10, checkpointInterval: 100 });
  const straight = recorder();
  await train(config, { runDir: path.join(root, "straight"), dataDir }, straight.hooks);
  const resumedDir = path.join(root, "resumed");
  const first = recorder(5);
  assert.deepEqual(await train(config, { runDir: resumedDir, dataDir }, first.hooks), { status: "stopped", step: 5 });
  assert.deepEqual(first.steps("eval/lambada/n"), [0, 3], "no benchmarks at a stop");
  const second = recorder();
  assert.deepEqual(await train(config, { runDir: resumedDir, dataDir }, second.hooks), { status: "completed", step: 10 });
  assert.deepEqual(second.steps("eval/lambada/n"), [6, 9, 10]);

  const a = loadLatest(path.join(root, "straight"))!;
  const b = loadLatest(resumedDir)!;
  assert.deepEqual(b.rngState, a.rngState);
  assert.deepEqual(b.dataState, a.dataState);
  for (const [name, t] of a.tensors) assert.equal(Buffer.compare(Buffer.from(b.tensors.get(name)!.data.buffer), Buffer.from(t.data.buffer)), 0, `${name} differs`);
  for (const step of [6, 9, 10])
    for (const key of ["eval/lambada/perplexity", "eval/hellaswag/acc_norm"]) assert.equal(second.value(key, step), straight.value(key, step), `${key} at ${step}`);
  assert.deepEqual(second.predictions.at(-1), straight.predictions.at(-1));

  // Benchmarks draw nothing from the run's rng: without them the run ends in the same state.
  await train({ ...config, evals: [] }, { runDir: path.join(root, "no-evals"), dataDir }, recorder().hooks);
  const c = loadLatest(path.join(root, "no-evals"))!;
  assert.deepEqual(c.rngState, a.rngState);
  for (const [name, t] of a.tensors) assert.equal(Buffer.compare(Buffer.from(c.tensors.get(name)!.data.buffer), Buffer.from(t.data.buffer)), 0, `${name} differs`);
});

test("training with benchmarks and checkpoints, and sampling from the checkpoint, never read the device synchronously (webgpu in Node cannot)", async () => {
  const proto = tf.Tensor.prototype;
  const { dataSync, arraySync } = proto;
  const forbidden = () => {
    throw new Error("synchronous device read");
  };
  proto.dataSync = forbidden;
  proto.arraySync = forbidden;
  try {
    const rec = recorder();
    const runDir = path.join(root, "async-reads");
    await train(tiny({ steps: 4, evalInterval: 2, checkpointInterval: 2 }), { runDir, dataDir }, rec.hooks);
    assert.deepEqual(rec.steps("eval/lambada/n"), [0, 2, 4]);
    const gen = await loadGenerator(path.join(runDir, "checkpoints", "step-000004"), dataDir);
    try {
      const out = await gen.sample({ prompt: "The", maxTokens: 5, temperature: 1, topK: 0, seed: 1 });
      assert.ok(out.tokens.length > 0 || out.stop === "eot");
    } finally {
      gen.dispose();
    }
  } finally {
    proto.dataSync = dataSync;
    proto.arraySync = arraySync;
  }
});

test("rounds over the time budget are skipped and logged; the first always runs", async () => {
  const rec = recorder();
  await train(tiny({ evalBudget: 0.01, evalInterval: 1, steps: 8, checkpointInterval: 100, batchSize: 4 }), { runDir: path.join(root, "budget"), dataDir }, rec.hooks);
  const ran = rec.steps("eval/lambada/n");
  const skipped = rec.logs.filter((l) => l.startsWith("benchmarks skipped at step"));
  assert.equal(ran[0], 0);
  assert.ok(skipped.length >= 5, rec.logs.join("\n"));
  assert.equal(ran.length + skipped.length, 9, "every eval step either ran or was skipped");
  assert.match(skipped[0], /^benchmarks skipped at step 1: evaluation has taken [\d.]+ s of its 0\.01 share of [\d.]+ s training$/);
});

test("an mlm run leaves benchmarks out; a missing benchmark file fails before training", async () => {
  const rec = recorder();
  await train(tiny({ objective: "mlm", steps: 3 }), { runDir: path.join(root, "mlm"), dataDir }, rec.hooks);
  assert.equal(rec.metrics.filter((m) => m.key.startsWith("eval/")).length, 0);
  assert.ok(rec.logs.some((l) => l.startsWith("benchmarks are skipped: a masked LM")));
  const missing = path.join(root, "nope.jsonl");
  const runDir = path.join(root, "missing-file");
  await assert.rejects(train(tiny({ evals: [{ task: "piqa", file: missing }] }), { runDir, dataDir }, recorder().hooks), /nope\.jsonl/);
  assert.equal(fs.existsSync(path.join(runDir, "checkpoints")), false);
});

test("the trainer CLI sends predictions as eval:predictions, and logs and goes on when the server rejects them", async () => {
  const httpServer = http.createServer();
  const io = new Server(httpServer);
  const events: { event: string; payload: { task?: string; step?: number; status?: string } }[] = [];
  io.of("/trainer").on("connection", (socket) => {
    socket.onAny((event: string, payload, ack?: (r: unknown) => void) => {
      events.push({ event, payload });
      if (event === EV.evalPredictions) ack?.({ ok: false, error: "no handler for eval:predictions" });
      else if (event === EV.checkpointList) ack?.({ ok: true, checkpoints: [] });
      else ack?.({ ok: true, seq: payload?.seq });
    });
  });
  await new Promise<void>((r) => httpServer.listen(0, "127.0.0.1", r));
  try {
    const configFile = path.join(root, "cli-config.json");
    fs.writeFileSync(configFile, JSON.stringify({ ...tiny({ steps: 4, evalInterval: 2, checkpointInterval: 100 }), name: "cli" }));
    const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "trainer/cli/train.ts", "--config", configFile, "--data-dir", dataDir, "--run-dir", path.join(root, "cli-trainer"), "--server", url, "--run-id", "r1"],
      { cwd: repo, env: { ...process.env, TRAINER_TOKEN: "t".repeat(32) } },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise((r) => child.on("exit", r));
    assert.equal(code, 0, stderr);
    const sent = events.filter((e) => e.event === EV.evalPredictions).map((e) => `${e.payload.step}:${e.payload.task}`);
    assert.deepEqual(sent, ["0:lambada", "0:hellaswag", "2:lambada", "2:hellaswag", "4:lambada", "4:hellaswag"]);
    assert.match(stderr, /warning: lambada predictions at step 0 were not stored: Server rejected eval:predictions: no handler for eval:predictions/);
    assert.equal(events.find((e) => e.event === EV.trainerDone)?.payload.status, "completed");
  } finally {
    io.close();
    await new Promise((r) => httpServer.close(r));
  }
});

test("share of training time spent on benchmarks at the default settings (printed, not asserted)", async () => {
  const bigDir = path.join(root, "brown-2048");
  const big = await prepareBrown(bigDir, 2048, 40);
  const config = RunConfig.parse({ name: "share", dataset: big.id, backend: "wasm", steps: 101, checkpointInterval: 1000 });
  const rec = recorder();
  const stepEnds: number[] = [];
  const hooks = { ...rec.hooks, onMetrics: (ps: MetricPoint[]) => (rec.hooks.onMetrics(ps), ps.some((p) => p.key === "loss") && stepEnds.push(performance.now())) };
  const t0 = performance.now();
  await train(config, { runDir: path.join(root, "share"), dataDir: bigDir }, hooks);
  const total = performance.now() - t0;
  const rounds = rec.logs.flatMap((l) => /^benchmarks at step (\d+) in ([\d.]+) s/.exec(l)?.slice(1).map(Number) ?? []);
  const roundMs = rounds.filter((_, i) => i % 2 === 1).map((s) => s * 1000);
  const evalMs = roundMs.reduce((a, b) => a + b, 0);
  const gaps = stepEnds.slice(1).map((t, i) => t - stepEnds[i]).sort((a, b) => a - b);
  const stepMs = gaps[Math.floor(gaps.length / 2)];
  const skipped = rec.logs.filter((l) => l.startsWith("benchmarks skipped")).length;
  console.log(
    `# default config (evalInterval ${config.evalInterval}, ${config.evalExamples} examples, lambada + hellaswag synthetic, vocabulary ${big.tokenizer.vocabSize}): ` +
      `median step ${stepMs.toFixed(0)} ms; first (full) round ${roundMs[0].toFixed(0)} ms = ${(roundMs[0] / stepMs).toFixed(1)} steps = ` +
      `${((100 * roundMs[0]) / (config.evalInterval * stepMs)).toFixed(1)}% of an eval interval; at budget ${config.evalBudget}: ` +
      `${roundMs.length} rounds (${roundMs.map((m) => m.toFixed(0)).join(", ")} ms), ${skipped} skipped, ` +
      `evaluation ${((100 * evalMs) / (total - evalMs)).toFixed(1)}% of the rest of the run`,
  );
  assert.ok(roundMs.length >= 1);
});
