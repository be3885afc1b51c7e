// Training stabilisers through the real trainer (trainer/loop/train.ts): z-loss lowers |log Z| and is
// logged apart from the loss; a run with every stabiliser on resumes exactly, trains the same on
// gradient workers, and its checkpoints are refused by a run of the other QK-norm kind and by export.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { readShard } from "../../formats/dataset";
import type { MetricPoint } from "../../lib/protocol";
import { RunConfig, type RunConfigInput } from "../../lib/run-config";
import { loadLatest, type TrainState } from "../../trainer/checkpoint/checkpoint";
import { exportCheckpoint } from "../../trainer/checkpoint/export";
import { checkpointModel } from "../../trainer/inference/generate";
import { type TrainHooks, train } from "../../trainer/loop/train";
import { disposeParams, forward } from "../../trainer/model/model";
import { writeTokenDataset } from "../helpers/token-dataset";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "stabilisers-train-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const dataDir = path.join(root, "data");
const dataset = writeTokenDataset(dataDir, { vocabSize: 64, domains: [{ name: "web", weight: 1, trainTokens: 20_000, valTokens: 2_000 }] });

const tiny = (over: Partial<RunConfigInput>) =>
  RunConfig.parse({
    name: "s", evals: [], nLayer: 2, nHead: 2, dModel: 32, contextLength: 32, batchSize: 4, steps: 8, warmupSteps: 2,
    evalInterval: 4, evalBatches: 1, checkpointInterval: 100, dataset: dataset.id, backend: "wasm", seed: 5, ...over,
  });
const ALL_ON = { zLoss: 1e-3, qkNorm: true, logitSoftCap: 20, attnSoftCap: 5 } as const;

async function run(name: string, config: RunConfig, stopAfter = Infinity) {
  const metrics: MetricPoint[] = [];
  const logs: string[] = [];
  const tensors: number[] = [];
  let polls = 0;
  const hooks: TrainHooks = {
    onStart: () => {},
    onMetrics: (ps) => {
      metrics.push(...ps);
      if (ps.some((p) => p.key === "loss")) tensors.push(tf.memory().numTensors);
    },
    onCheckpoint: () => {}, onLog: (m) => void logs.push(m),
    shouldStop: () => ++polls >= stopAfter,
  };
  const runDir = path.join(root, name);
  const result = await train(config, { runDir, dataDir }, hooks);
  const series = (key: string) => new Map(metrics.filter((m) => m.key === key).map((m) => [m.step, m.value as number]));
  return { result, series, logs, tensors, runDir, state: () => loadLatest(runDir)! };
}

/** Mean |log Z| of the checkpoint's model over the first validation tokens. */
function meanAbsLogZ(state: TrainState): number {
  const val = readShard(dataDir, dataset.id, dataset.shards.find((s) => s.split === "val")!.file);
  const { params, cfg } = checkpointModel(state);
  const T = cfg.contextLength;
  const B = 8;
  const ids = Int32Array.from(val.subarray(0, B * T));
  const value = tf.tidy(() => tf.mean(tf.abs(tf.logSumExp(forward(params, cfg, tf.tensor2d(ids, [B, T], "int32")), -1))).dataSync()[0]);
  disposeParams(params);
  return value;
}

test("z-loss: the same seed with zLoss 1e-2 ends with a smaller mean |log Z| than without; loss stays the cross-entropy and z_loss is logged apart", async () => {
  const steps = 40;
  const without = await run("z-off", tiny({ steps, evalInterval: 100 }));
  const withZ = await run("z-on", tiny({ steps, evalInterval: 100, zLoss: 1e-2 }));
  const [off, on] = [meanAbsLogZ(without.state()), meanAbsLogZ(withZ.state())];
  console.log(`# mean |log Z| after ${steps} steps: ${off.toFixed(3)} without z-loss, ${on.toFixed(3)} with zLoss 1e-2`);
  assert.ok(on < off, `z-loss lowers mean |log Z|: ${on} vs ${off}`);
  assert.equal(without.series("z_loss").size, 0, "no z_loss metric when z-loss is off");
  const z = withZ.series("z_loss");
  assert.equal(z.size, steps);
  // The first step: the cross-entropy of a fresh model is near ln V and its z term is 1e-2 * (log Z)^2 ~ 1e-2 * ln(64)^2.
  assert.equal(withZ.series("loss").get(0), without.series("loss").get(0), "step 0's loss is the same cross-entropy");
  assert.ok(Math.abs(z.get(0)! - 1e-2 * Math.log(64) ** 2) < 0.02, `z_loss at step 0: ${z.get(0)}`);
  assert.ok([...z.values()].every((v) => Number.isFinite(v) && v > 0), "z_loss is a positive number at every step");
  const steady = withZ.tensors.slice(1);
  assert.ok(steady.every((n) => n === steady[0]), `the z-loss pass leaks no tensors: ${steady}`);
});

test("every stabiliser on (llama): stop + resume is bit-identical, and the QK-norm gains are in the checkpoint", async () => {
  const config = tiny({ arch: "llama", ...ALL_ON });
  const straight = await run("all-straight", config);
  const stopped = await run("all-resumed", config, 4);
  assert.deepEqual(stopped.result, { status: "stopped", step: 4 });
  const resumed = await run("all-resumed", config);
  assert.ok(resumed.logs.some((l) => l.startsWith("resumed from")));
  const [a, b] = [straight.state(), resumed.state()];
  assert.ok(a.tensors.has("h.1.attn.q_norm.g") && a.tensors.has("optim.m.h.1.attn.k_norm.g"), "gains and their optimizer state are saved");
  assert.ok(a.tensors.get("h.0.attn.q_norm.g")!.data.some((v) => v !== 1), "the gains trained");
  assert.deepEqual([...b.tensors.keys()], [...a.tensors.keys()]);
  for (const [name, t] of a.tensors) assert.equal(Buffer.compare(Buffer.from(b.tensors.get(name)!.data.buffer), Buffer.from(t.data.buffer)), 0, `${name} differs`);
  for (const key of ["loss", "z_loss", "grad_norm"])
    for (let s = 4; s < 8; s++) assert.equal(resumed.series(key).get(s), straight.series(key).get(s), `${key} at ${s}`);
  assert.ok(Number.isFinite(straight.series("val_loss").get(8)), "evals run on the capped, QK-normed model");

  // A run of the other kind refuses the checkpoint, with the reason.
  fs.cpSync(straight.runDir, path.join(root, "all-off"), { recursive: true });
  await assert.rejects(run("all-off", tiny({ arch: "llama", steps: 12, qkNorm: false })), /trained with qkNorm on .* this run has qkNorm off/);
  const plain = await run("plain", tiny({ arch: "llama" }));
  fs.cpSync(plain.runDir, path.join(root, "plain-on"), { recursive: true });
  await assert.rejects(run("plain-on", tiny({ arch: "llama", steps: 12, qkNorm: true })), /trained without qkNorm .* this run has qkNorm on/);

  // The export layouts cannot hold QK-norm or a logit cap: refused, nothing written.
  const checkpoint = path.join(straight.runDir, "checkpoints", "step-000008");
  assert.throws(() => exportCheckpoint({ checkpoint, dataDir }), /uses qkNorm .* and logitSoftCap 20 and attnSoftCap 5, which the llama export layout .* cannot represent/);
  assert.ok(!fs.existsSync(path.join(checkpoint, "export")));
  const exported = exportCheckpoint({ checkpoint: path.join(plain.runDir, "checkpoints", "step-000008"), dataDir });
  const json = JSON.parse(fs.readFileSync(path.join(exported.outDir, "config.json"), "utf8"));
  assert.deepEqual([json.qk_norm, json.logit_soft_cap, json.attn_soft_cap], [false, null, null]);
});

test("every stabiliser on (gpt2, prefix): 2 gradient workers train the run that 1 does, z_loss included", async () => {
  const config = (workers: number) => tiny({ objective: "prefix", workers, microBatchSize: 2, ...ALL_ON, zLoss: 1e-2 });
  const one = await run("par-1", config(1));
  const two = await run("par-2", config(2));
  assert.ok(two.logs.some((l) => /^2 gradient workers ready/.test(l)));
  for (const r of [one, two]) assert.ok(r.tensors.slice(1).every((n) => n === r.tensors[1]), `no tensor leak with accumulation: ${r.tensors}`);
  for (const key of ["loss", "z_loss", "grad_norm", "val_loss"]) {
    const [x, y] = [one.series(key), two.series(key)];
    assert.ok(x.size > 0);
    assert.deepEqual([...y.keys()], [...x.keys()], key);
    for (const [s, v] of x) assert.ok(Math.abs(y.get(s)! - v) <= 1e-5 * Math.max(1, Math.abs(v)), `${key} at ${s}: ${y.get(s)} vs ${v}`);
  }
  const [a, b] = [one.state(), two.state()];
  let worst = 0;
  for (const [name, t] of a.tensors) t.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b.tensors.get(name)!.data[i]))));
  assert.ok(worst < 1e-3, `weights differ by at most ${worst}`);
});
