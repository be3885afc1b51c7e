import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import type { CheckpointSaved, MetricPoint } from "../../lib/protocol";
import { RunConfig, type RunConfigInput } from "../../lib/run-config";
import { loadLatest, saveCheckpoint } from "../../trainer/checkpoint/checkpoint";
import { type TrainHooks, train } from "../../trainer/loop/train";
import { writeTokenDataset } from "../helpers/token-dataset";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "train-test-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const dataDir = path.join(root, "data");
// Two domains; "code" is small, so the mixture repeats it. "web-text" checks metric-key sanitising.
const synthetic = writeTokenDataset(dataDir, {
  vocabSize: 64,
  domains: [
    { name: "web-text", weight: 0.6, trainTokens: 20_000, valTokens: 2_000 },
    { name: "code", weight: 0.4, trainTokens: 600, valTokens: 300 },
  ],
});

// No benchmarks: this dataset's tokenizer.json is a stub (tests/unit/eval-train.test.ts covers them).
const tiny = (over: Partial<RunConfigInput> = {}) =>
  RunConfig.parse({
    name: "t", evals: [], nLayer: 2, nHead: 2, dModel: 32, contextLength: 32, batchSize: 4, steps: 30, warmupSteps: 5,
    evalInterval: 10, evalBatches: 2, checkpointInterval: 20, dataset: synthetic.id, backend: "wasm", ...over,
  });

function recorder(stopAfter = Infinity) {
  const metrics: MetricPoint[] = [];
  const checkpoints: CheckpointSaved[] = [];
  const logs: string[] = [];
  const tensorsAtLog: number[] = [];
  let iterations = 0;
  const hooks: TrainHooks = {
    onStart: () => {},
    onMetrics: (ps) => {
      metrics.push(...ps);
      if (ps.some((p) => p.key === "loss")) tensorsAtLog.push(tf.memory().numTensors);
    },
    onCheckpoint: (c) => void checkpoints.push(c),
    onLog: (m) => void logs.push(m),
    shouldStop: () => ++iterations >= stopAfter,
  };
  // The trainer emits plain numbers (NaN included); null only appears after JSON.
  const series = (key: string) => metrics.filter((m) => m.key === key).map((m) => ({ ...m, value: m.value as number }));
  return { hooks, metrics, checkpoints, logs, tensorsAtLog, series };
}

test("a short run on a prepared token dataset learns, reports every metric, leaks no tensors", async () => {
  const rec = recorder();
  const runDir = path.join(root, "short");
  const result = await train(tiny(), { runDir, dataDir }, rec.hooks);
  assert.deepEqual(result, { status: "completed", step: 30 });
  const loss = rec.series("loss").map((m) => m.value);
  assert.equal(loss.length, 30);
  const lastFive = loss.slice(-5).reduce((a, b) => a + b, 0) / 5;
  assert.ok(Math.abs(loss[0] - Math.log(64)) < 0.1, `initial loss ${loss[0]} is near ln 64`);
  assert.ok(lastFive < loss[0] - 0.8, `loss ${loss[0]} → ${lastFive} (mean of the last five)`);
  assert.deepEqual(rec.series("val_loss").map((m) => m.step), [0, 10, 20, 30]);
  assert.ok(rec.series("val_loss").at(-1)!.value < rec.series("val_loss")[0].value);
  for (const key of ["lr", "grad_norm", "tokens_per_sec", "val_ppl"]) assert.ok(rec.series(key).length > 0, key);
  assert.ok(rec.series("tokens_per_sec").every((m) => m.value > 0));
  // Achieved model FLOP/s: tokens/s times 6N + 12·L·d·T, with N counted by hand for this shape.
  const c = tiny();
  const d = c.dModel;
  const n = 64 * d + c.contextLength * d + c.nLayer * (12 * d * d + 13 * d) + 2 * d;
  const flops = 6 * n + 12 * c.nLayer * d * c.contextLength;
  const gflops = rec.series("model_gflops");
  assert.equal(gflops.length, rec.series("tokens_per_sec").length);
  gflops.forEach((m, i) => assert.ok(Math.abs(m.value / ((rec.series("tokens_per_sec")[i].value * flops) / 1e9) - 1) < 1e-12, `step ${m.step}`));
  assert.ok(rec.metrics.every((m) => /^[a-z0-9_/.]+$/.test(m.key)), "metric keys are valid");
  // Per-domain data metrics: measured shares sum to 1 and follow the weights; the small domain repeats.
  const share = (d: string) => rec.series(`data/share/${d}`);
  const epochs = (d: string) => rec.series(`data/epochs/${d}`);
  assert.equal(share("web_text").length, 30);
  share("web_text").forEach((m, i) => assert.ok(Math.abs(m.value + share("code")[i].value - 1) < 1e-12));
  assert.ok(Math.abs(share("code").at(-1)!.value - 0.4) < 0.15, `code share ${share("code").at(-1)!.value}`);
  const codeSeqs = share("code").at(-1)!.value * 30 * 4;
  assert.ok(Math.abs(epochs("code").at(-1)!.value - (codeSeqs * 32) / 600) < 1e-9);
  assert.ok(epochs("code").at(-1)!.value > 1 && epochs("web_text").at(-1)!.value < 0.2);
  assert.ok(rec.logs.some((l) => l.includes(`dataset ${synthetic.id}`) && l.includes("vocabulary 64")), rec.logs.join("\n"));
  assert.ok(rec.metrics.every((m) => m.wallTime > 1.6e9 && m.wallTime < 1e11), "wallTime in seconds");
  assert.deepEqual(rec.checkpoints.map((c) => c.step), [20, 30]);
  assert.equal(rec.checkpoints[1].bytes, fs.statSync(rec.checkpoints[1].path).size);
  const steady = rec.tensorsAtLog.slice(1);
  assert.ok(steady.every((n) => n === steady[0]), `tensor count drifts: ${steady}`);
  assert.ok(tf.memory().numTensors <= rec.tensorsAtLog[0], "params and optimizer state are disposed at the end");
});

/**
 * Trains `config` straight through, and again stopped after `stopAfter` steps and resumed; with
 * `crash`, the stop checkpoint is deleted first, so the run resumes from the periodic checkpoint at
 * `resumeAt`, written after that step's eval (which the resumed run repeats). Both must end
 * bit-identical, with the same per-step loss, lr and batch size after the resume.
 */
async function exactResume(name: string, config: RunConfig, o: { stopAfter: number; resumeAt: number; crash?: boolean }) {
  const straight = recorder();
  const straightDir = path.join(root, name);
  await train(config, { runDir: straightDir, dataDir }, straight.hooks);

  const resumedDir = path.join(root, `${name}-resumed`);
  const first = recorder(o.stopAfter);
  assert.deepEqual(await train(config, { runDir: resumedDir, dataDir }, first.hooks), { status: "stopped", step: o.stopAfter });
  assert.equal(first.checkpoints.at(-1)!.step, o.stopAfter);
  if (o.crash) fs.rmSync(path.dirname(first.checkpoints.at(-1)!.path), { recursive: true });
  const second = recorder();
  const starts: number[] = [];
  second.hooks.onStart = (info) => void starts.push(info.startStep);
  assert.deepEqual(await train(config, { runDir: resumedDir, dataDir }, second.hooks), { status: "completed", step: config.steps });
  assert.deepEqual(starts, [o.resumeAt]);
  assert.ok(second.logs.some((l) => l.includes("resumed")));

  const a = loadLatest(straightDir)!;
  const b = loadLatest(resumedDir)!;
  assert.equal(a.step, config.steps);
  assert.equal(b.step, config.steps);
  assert.deepEqual(b.dataState, a.dataState);
  assert.equal(b.datasetId, synthetic.id);
  assert.deepEqual(b.rngState, a.rngState);
  assert.equal(b.optimizerT, a.optimizerT);
  assert.equal(b.tokensSeen, a.tokensSeen);
  assert.deepEqual(b.scheduleState, a.scheduleState);
  assert.deepEqual([...b.tensors.keys()], [...a.tensors.keys()]);
  for (const [name, t] of a.tensors) {
    const u = b.tensors.get(name)!.data;
    assert.equal(Buffer.compare(Buffer.from(u.buffer), Buffer.from(t.data.buffer)), 0, `${name} differs`);
  }
  const third = recorder();
  assert.deepEqual(await train(config, { runDir: resumedDir, dataDir }, third.hooks), { status: "completed", step: config.steps });
  assert.equal(third.checkpoints.length + third.series("loss").length, 0, "a finished run is not trained again");

  for (const key of ["loss", "lr", "batch_size"]) {
    const at = (r: ReturnType<typeof recorder>, step: number) => r.series(key).find((m) => m.step === step)!.value;
    for (let s = o.resumeAt; s < config.steps; s++) assert.equal(at(second, s), at(straight, s), `${key} at ${s}`);
  }
  return { straight, checkpoint: a };
}

test("stop + resume gives bit-identical weights to an uninterrupted run", async () => {
  const { checkpoint } = await exactResume("straight", tiny({ steps: 12, evalInterval: 5, checkpointInterval: 100, seed: 7 }), { stopAfter: 6, resumeAt: 6 });
  assert.deepEqual([...checkpoint.tensors.keys()].filter((k) => k.startsWith("optim.")).slice(0, 2), ["optim.m.h.0.attn.c_attn.b", "optim.m.h.0.attn.c_attn.w"]);
  assert.equal(checkpoint.scheduleState, null);
  assert.equal(checkpoint.tokensSeen, 12 * 4 * 32);
});

test("exact resume with Lion, the plateau schedule, accumulation and a batch ramp, from a periodic checkpoint", async () => {
  // Lion at a deliberately high lr, so the val loss rises at some eval and the plateau schedule cuts.
  const config = tiny({
    steps: 12, seed: 7, warmupSteps: 2, evalInterval: 2, checkpointInterval: 4, optimizer: "lion", lr: 2e-2, weightDecay: 0.5,
    schedule: "plateau", plateauPatience: 1, plateauFactor: 0.5, minLr: 1e-4, batchSize: 4, microBatchSize: 1, batchRampStart: 2, batchRampTokens: 640,
  });
  const { straight, checkpoint } = await exactResume("lion", config, { stopAfter: 6, resumeAt: 4, crash: true });
  const batches = straight.series("batch_size").map((m) => m.value);
  assert.deepEqual([batches[0], batches.at(-1)], [2, 4]);
  assert.ok(batches.slice(0, 4).includes(2) && batches.slice(4).some((b) => b < 4), `the ramp spans the resume: ${batches}`);
  assert.equal(checkpoint.tokensSeen, batches.reduce((a, b) => a + b, 0) * 32);
  const plateau = checkpoint.scheduleState as { cuts: number };
  assert.ok(plateau.cuts >= 1, `the plateau schedule cut the lr: ${JSON.stringify(plateau)}`);
  assert.ok(Math.min(...straight.series("lr").map((m) => m.value)) < 2e-2);
});

test("exact resume with Adafactor, the step schedule and accumulation; another optimizer's checkpoint is refused", async () => {
  const config = tiny({
    steps: 12, seed: 7, evalInterval: 5, checkpointInterval: 100, optimizer: "adafactor", lr: 1e-2,
    schedule: "step", decayEvery: 3, microBatchSize: 2,
  });
  const { straight, checkpoint } = await exactResume("adafactor", config, { stopAfter: 7, resumeAt: 7 });
  const lr = straight.series("lr").map((m) => m.value);
  assert.deepEqual([lr[5], lr[8], lr[11]], [1e-2, 5e-3, 2.5e-3]);
  assert.deepEqual(checkpoint.tensors.get("optim.vr.wte")!.shape, [64]);
  assert.deepEqual(checkpoint.tensors.get("optim.vc.wte")!.shape, [32]);
  assert.ok(!checkpoint.tensors.has("optim.m.wte"), "no first moment at β1 = 0");
  await assert.rejects(
    train({ ...config, optimizer: "adamw" }, { runDir: path.join(root, "adafactor"), dataDir }, recorder().hooks),
    /holds adafactor state, this run's optimizer is adamw; start a new run/,
  );
});

test("a non-finite loss is reported, not thrown", async () => {
  const config = tiny({ steps: 4, warmupSteps: 1, evalInterval: 100, checkpointInterval: 100, seed: 7 });
  const source = loadLatest(path.join(root, "straight"))!;
  const runDir = path.join(root, "nan");
  source.tensors.get("wte")!.data.fill(NaN);
  saveCheckpoint(runDir, { ...source, step: 2, config });
  const rec = recorder();
  assert.deepEqual(await train(config, { runDir, dataDir }, rec.hooks), { status: "completed", step: 4 });
  const loss = rec.series("loss");
  assert.deepEqual(loss.map((m) => m.step), [2, 3]);
  assert.ok(loss.every((m) => Number.isNaN(m.value)));
  assert.ok(Number.isNaN(rec.series("val_loss").at(-1)!.value));
});

test("a dataset that is not prepared, or a checkpoint of another dataset or vocabulary, fails clearly", async () => {
  await assert.rejects(
    train(tiny({ dataset: "ds-ffffffffffffffff" }), { runDir: path.join(root, "missing"), dataDir }, recorder().hooks),
    { message: `dataset ds-ffffffffffffffff is not prepared in ${path.join(dataDir, "datasets")}; prepare it first or pick another` },
  );
  const other = writeTokenDataset(dataDir, { vocabSize: 80, domains: [{ name: "web", weight: 1, trainTokens: 5_000, valTokens: 500 }] });
  const source = loadLatest(path.join(root, "straight"))!;
  const runDir = path.join(root, "other-dataset");
  saveCheckpoint(runDir, { ...source, step: 2 });
  await assert.rejects(
    train(tiny({ dataset: other.id }), { runDir, dataDir }, recorder().hooks),
    new RegExp(`was trained on dataset ${synthetic.id}, this run's dataset is ${other.id}`),
  );
  const vocabDir = path.join(root, "other-vocab");
  saveCheckpoint(vocabDir, { ...source, step: 2, vocabSize: 65 });
  await assert.rejects(train(tiny(), { runDir: vocabDir, dataDir }, recorder().hooks), /vocabulary of 65, dataset ds-\w+ has 64/);
});

test("throughput of the default config at vocabulary 2048 on wasm (printed, not asserted)", async () => {
  const big = writeTokenDataset(dataDir, {
    vocabSize: 2048,
    domains: [
      { name: "web", weight: 0.7, trainTokens: 200_000, valTokens: 5_000 },
      { name: "code", weight: 0.3, trainTokens: 50_000, valTokens: 5_000 },
    ],
  });
  const config = RunConfig.parse({ name: "bench", backend: "wasm", dataset: big.id, evals: [], steps: 40, warmupSteps: 5, evalInterval: 1000, checkpointInterval: 1000 });
  const rec = recorder(25);
  await train(config, { runDir: path.join(root, "bench"), dataDir }, rec.hooks);
  const tps = rec.series("tokens_per_sec").slice(5).map((m) => m.value).sort((x, y) => x - y);
  const median = tps[Math.floor(tps.length / 2)];
  console.log(
    `# default config (${config.nLayer} layers, ${config.nHead} heads, width ${config.dModel}, context ${config.contextLength}, batch ${config.batchSize}, vocabulary 2048) ` +
      `on wasm: median ${median.toFixed(0)} tokens/s (${((config.batchSize * config.contextLength) / median * 1000).toFixed(1)} ms/step)`,
  );
  assert.ok(median > 0);
});
