import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { layerKey, modelRows } from "../../lib/layer-stats";
import type { MetricPoint } from "../../lib/protocol";
import { RunConfig, type RunConfigInput } from "../../lib/run-config";
import { loadLatest } from "../../trainer/checkpoint/checkpoint";
import { layerStatKeys } from "../../trainer/loop/layer-stats";
import { type TrainHooks, train } from "../../trainer/loop/train";
import { writeTokenDataset } from "../helpers/token-dataset";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "layer-stats-train-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const dataDir = path.join(root, "data");
const dataset = writeTokenDataset(dataDir, { vocabSize: 64, domains: [{ name: "web", weight: 1, trainTokens: 20_000, valTokens: 2_000 }] });

// Micro-batches of 2 and a batch ramp, so the stats see accumulated gradients of changing batch sizes.
const config = (over: Partial<RunConfigInput>) =>
  RunConfig.parse({
    name: "ls", evals: [], nLayer: 2, nHead: 2, dModel: 16, contextLength: 16, batchSize: 6, microBatchSize: 2, batchRampStart: 2,
    batchRampTokens: 200, steps: 7, warmupSteps: 2, lr: 1e-2, evalInterval: 100, evalBatches: 1, checkpointInterval: 100,
    dataset: dataset.id, backend: "wasm", seed: 5, ...over,
  });

async function run(name: string, c: RunConfig) {
  const metrics: MetricPoint[] = [];
  const tensors: number[] = [];
  const hooks: TrainHooks = {
    onStart: () => {},
    onMetrics: (ps) => {
      metrics.push(...ps);
      if (ps.some((p) => p.key === "loss")) tensors.push(tf.memory().numTensors);
    },
    onCheckpoint: () => {},
    onLog: () => {},
    shouldStop: () => false,
  };
  const runDir = path.join(root, name);
  await train(c, { runDir, dataDir }, hooks);
  return { metrics, tensors, state: loadLatest(runDir)! };
}

test("stats on leave training bit-identical to stats off; every key is logged at every stats step, on one thread and on two workers", async () => {
  const off = await run("off", config({ layerStatsInterval: 0 }));
  const on = await run("on", config({ layerStatsInterval: 3 }));
  const parallel = await run("parallel", config({ layerStatsInterval: 3, workers: 2 }));
  assert.ok(!off.metrics.some((m) => m.key.startsWith("layers/") || m.key.startsWith("logits/")), "off logs no layer keys");
  const loss = (r: typeof off) => r.metrics.filter((m) => m.key === "loss").map((m) => m.value);
  assert.deepEqual(loss(on), loss(off));
  for (const [name, t] of off.state.tensors) assert.deepEqual(on.state.tensors.get(name)!.data, t.data, `${name} is bit-identical`);
  assert.ok(new Set(on.tensors).size === 1, `no tensor leaks across steps: ${on.tensors}`);

  const keys = layerStatKeys({ nLayer: 2, nHead: 2 });
  for (const r of [on, parallel]) {
    for (const key of keys) {
      const steps = r.metrics.filter((m) => m.key === key).map((m) => m.step);
      assert.deepEqual(steps, [0, 3, 6], key);
    }
    // The rows' squared norms add up to the step's pre-clip global norm, accumulated or from the workers.
    for (const step of [0, 3, 6]) {
      const at = (key: string) => r.metrics.find((m) => m.key === key && m.step === step)!.value!;
      const rows = modelRows(2).reduce((s, row) => s + at(layerKey("grad_norm", row)) ** 2, 0);
      assert.ok(Math.abs(Math.sqrt(rows) / at("grad_norm") - 1) < 1e-4, `step ${step}: ${Math.sqrt(rows)} vs ${at("grad_norm")}`);
      assert.ok(at(layerKey("update_ratio", { block: 1 })) > 0);
    }
  }
});
