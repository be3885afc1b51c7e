import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import type { MetricPoint } from "../../lib/protocol";
import { RunConfig, type RunConfigInput } from "../../lib/run-config";
import { loadLatest, type TrainState } from "../../trainer/checkpoint/checkpoint";
import { type TrainHooks, train } from "../../trainer/loop/train";
import { writeTokenDataset } from "../helpers/token-dataset";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "parallel-train-test-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const dataDir = path.join(root, "data");
const dataset = writeTokenDataset(dataDir, {
  vocabSize: 64,
  domains: [
    { name: "web", weight: 0.7, trainTokens: 20_000, valTokens: 2_000 },
    { name: "code", weight: 0.3, trainTokens: 3_000, valTokens: 500 },
  ],
});

// Micro-batches of 2 and a batch ramp 2 → 6: with 3 workers the shards are (1, 1, 0), (2, 1, 1), (2, 2, 2).
const base = (over: Partial<RunConfigInput>) =>
  RunConfig.parse({
    name: "p", evals: [], nLayer: 2, nHead: 2, dModel: 32, contextLength: 32, batchSize: 6, microBatchSize: 2, batchRampStart: 2,
    batchRampTokens: 300, steps: 8, warmupSteps: 2, lr: 1e-2, evalInterval: 4, evalBatches: 1, checkpointInterval: 100,
    dataset: dataset.id, backend: "wasm", seed: 11, ...over,
  });

async function run(name: string, config: RunConfig, stopAfter = Infinity) {
  const metrics: MetricPoint[] = [];
  const logs: string[] = [];
  const starts: { workers: number; startStep: number }[] = [];
  let polls = 0;
  const tensors: number[] = [];
  const hooks: TrainHooks = {
    onStart: (info) => void starts.push(info),
    onMetrics: (ps) => {
      metrics.push(...ps);
      if (ps.some((p) => p.key === "loss")) tensors.push(tf.memory().numTensors);
    },
    onCheckpoint: () => {},
    onLog: (m) => void logs.push(m),
    shouldStop: () => ++polls >= stopAfter,
  };
  const runDir = path.join(root, name);
  const result = await train(config, { runDir, dataDir }, hooks);
  const series = (key: string) => new Map(metrics.filter((m) => m.key === key).map((m) => [m.step, m.value as number]));
  return { result, series, logs, starts, tensors, runDir, state: () => loadLatest(runDir)! };
}

/**
 * Largest |a - b| over every parameter and optimizer slot, and ‖a − b‖ / ‖a‖ over all of them.
 * Summing in another order is all that differs, as with micro-batches on one thread, which moves
 * this model by about 4e-6 relative over 8 steps. The largest difference sits in the attention key
 * bias: its true gradient is zero (softmax ignores a shift shared by a row), so its gradient is
 * rounding noise, which Adam scales up towards steps of lr.
 */
function diff(a: TrainState, b: TrainState): { max: number; at: string; relative: number } {
  assert.deepEqual([...b.tensors.keys()], [...a.tensors.keys()]);
  let worst = { max: 0, at: "" };
  let d2 = 0;
  let a2 = 0;
  for (const [name, t] of a.tensors) {
    const u = b.tensors.get(name)!.data;
    for (let i = 0; i < u.length; i++) {
      const d = Math.abs(u[i] - t.data[i]);
      d2 += d * d;
      a2 += t.data[i] * t.data[i];
      if (!(d <= worst.max)) worst = { max: d, at: `${name}[${i}]` };
    }
  }
  return { ...worst, relative: Math.sqrt(d2 / a2) };
}

function assertSameRun(a: Awaited<ReturnType<typeof run>>, b: Awaited<ReturnType<typeof run>>, label: string) {
  for (const key of ["loss", "val_loss", "grad_norm", "batch_size"]) {
    const x = a.series(key);
    const y = b.series(key);
    assert.deepEqual([...y.keys()], [...x.keys()], `${label}: ${key} steps`);
    for (const [step, v] of x) assert.ok(Math.abs(y.get(step)! - v) <= 1e-5 * Math.max(1, Math.abs(v)), `${label}: ${key} at ${step}: ${y.get(step)} vs ${v}`);
  }
  const [s, t] = [a.state(), b.state()];
  assert.deepEqual([t.rngState, t.dataState, t.tokensSeen, t.optimizerT], [s.rngState, s.dataState, s.tokensSeen, s.optimizerT], `${label}: rng, data position, tokens, optimizer steps`);
  const d = diff(s, t);
  console.log(`# ${label}: weights and optimizer state differ by ${d.relative.toExponential(2)} relative, at most ${d.max.toExponential(2)} (${d.at})`);
  assert.ok(d.relative < 5e-5 && d.max < 1e-3, `${label}: weights and optimizer state differ by ${d.relative} relative, at most ${d.max} (${d.at})`);
}

test("the same seed gives the same run on 1, 2 and 3 workers: clm, micro-batches, a batch ramp with empty shards", async () => {
  const one = await run("clm-1", base({ workers: 1 }));
  const two = await run("clm-2", base({ workers: 2 }));
  const three = await run("clm-3", base({ workers: 3 }));
  assert.deepEqual([one.starts[0].workers, two.starts[0].workers, three.starts[0].workers], [1, 2, 3]);
  assert.ok(three.logs.some((l) => /^3 gradient workers ready/.test(l)), three.logs.join("\n"));
  assert.deepEqual([...new Set(one.series("batch_size").values())], [2, 4, 6]);
  const losses = [...one.series("loss").values()];
  assert.ok(losses.at(-1)! < losses[0] - 0.3, `it trains: ${losses}`);
  assertSameRun(one, two, "2 workers");
  assertSameRun(one, three, "3 workers");
  const steady = three.tensors.slice(1);
  assert.ok(steady.every((n) => n === steady[0]), `the trainer's tensor count drifts: ${steady}`);
});

test("mlm masks do not depend on the number of workers: an odd batch of 5 on 1 and 3 workers", async () => {
  const config = (workers: number) => base({ objective: "mlm", batchSize: 5, microBatchSize: 0, batchRampStart: 0, batchRampTokens: 0, workers });
  const one = await run("mlm-1", config(1));
  const three = await run("mlm-3", config(3));
  assertSameRun(one, three, "mlm, 3 workers");
});

test("a checkpoint written with 2 workers resumes exactly on 2 workers, and within rounding on 1", async () => {
  const config = base({ workers: 2 });
  const straight = await run("resume-straight", config);
  const stopped = await run("resume-2", config, 5);
  assert.deepEqual(stopped.result, { status: "stopped", step: 5 });
  const copy = path.join(root, "resume-1");
  fs.cpSync(stopped.runDir, copy, { recursive: true });
  const resumed = await run("resume-2", config);
  assert.deepEqual(resumed.starts.map((s) => [s.startStep, s.workers]), [[5, 2]]);
  const a = straight.state();
  const b = resumed.state();
  for (const [name, t] of a.tensors) assert.equal(Buffer.compare(Buffer.from(b.tensors.get(name)!.data.buffer), Buffer.from(t.data.buffer)), 0, `${name} differs`);
  for (const s of [5, 6, 7]) assert.equal(resumed.series("loss").get(s), straight.series("loss").get(s), `loss at ${s}`);

  const onOne = await run("resume-1", base({ workers: 1 }));
  assert.deepEqual(onOne.starts.map((s) => [s.startStep, s.workers]), [[5, 1]]);
  const d = diff(a, onOne.state());
  assert.ok(d.relative < 5e-5 && d.max < 1e-3, `resumed on 1 worker: ${JSON.stringify(d)}`);
  for (const s of [5, 6, 7]) assert.ok(Math.abs(onOne.series("loss").get(s)! - straight.series("loss").get(s)!) < 1e-4, `loss at ${s}`);
});
