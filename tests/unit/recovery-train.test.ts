import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import type { CheckpointSaved, MetricPoint, RecoveryEvent } from "../../lib/protocol";
import { RunConfig, type RunConfigInput } from "../../lib/run-config";
import { createSchedule } from "../../lib/schedule";
import { loadCheckpoint, type TrainState } from "../../trainer/checkpoint/checkpoint";
import { type TrainHooks, train } from "../../trainer/loop/train";
import { writeTokenDataset } from "../helpers/token-dataset";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "recovery-test-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const dataDir = path.join(root, "data");
const dataset = writeTokenDataset(dataDir, { vocabSize: 64, domains: [{ name: "web", weight: 1, trainTokens: 20_000, valTokens: 2_000 }] });

const B = 4;
const config = (over: Partial<RunConfigInput>) =>
  RunConfig.parse({
    name: "r", evals: [], nLayer: 1, nHead: 2, dModel: 32, contextLength: 32, batchSize: B, steps: 60, warmupSteps: 5,
    evalInterval: 1000, evalBatches: 1, checkpointInterval: 20, dataset: dataset.id, backend: "wasm",
    anomaly: { warmup: 10 }, ...over,
  });

/** Records everything, and reads each checkpoint as it is written (a rollback rewrites one). */
function recorder() {
  const metrics: MetricPoint[] = [];
  const events: RecoveryEvent[] = [];
  const saved: (CheckpointSaved & { state: TrainState })[] = [];
  const hooks: TrainHooks = {
    onStart: () => {},
    onMetrics: (ps) => void metrics.push(...ps),
    onCheckpoint: (c) => void saved.push({ ...c, state: loadCheckpoint(c.path) }),
    onRecovery: (e) => void events.push(e),
    onLog: () => {},
    shouldStop: () => false,
  };
  const at = (step: number) => saved.filter((c) => c.step === step).map((c) => c.state);
  const values = (key: string, step: number) => metrics.filter((m) => m.key === key && m.step === step).map((m) => m.value as number);
  return { hooks, events, saved, at, values };
}

const params = (s: TrainState) => [...s.tensors].filter(([name]) => !name.startsWith("optim."));
const optimState = (s: TrainState) => [...s.tensors].filter(([name]) => name.startsWith("optim."));
const sequencesDrawn = (s: TrainState) => Object.values((s.dataState as { drawn: Record<string, number> }).drawn).reduce((a, b) => a + b, 0);

function assertSameTensors(a: [string, { data: Float32Array }][], b: [string, { data: Float32Array }][], what: string) {
  assert.equal(a.length, b.length);
  assert.ok(a.length > 0, `${what}: no tensors`);
  for (let i = 0; i < a.length; i++) {
    assert.equal(a[i][0], b[i][0]);
    assert.deepEqual(a[i][1].data, b[i][1].data, `${what}: ${a[i][0]} differs`);
  }
}

test("skip-step leaves the weights and the optimizer state unchanged for the step that went NaN", async () => {
  const rec = recorder();
  const result = await train(
    config({ steps: 33, checkpointInterval: 1, recovery: "skip-step", faults: [{ kind: "nan", step: 30 }] }),
    { runDir: path.join(root, "skip"), dataDir }, rec.hooks,
  );
  assert.equal(result.status, "completed");
  assert.deepEqual(rec.events.map((e) => [e.type, e.step]), [["skip_step", 30]]);
  assert.ok(Number.isNaN(rec.values("loss", 30)[0]), "the NaN loss is still reported");
  const [before] = rec.at(30); // weights after steps 0..29
  const [afterSkip] = rec.at(31); // after step 30, whose update was skipped
  assertSameTensors(params(before), params(afterSkip), "skipped step");
  assertSameTensors(optimState(before), optimState(afterSkip), "optimizer state");
  assert.equal(afterSkip.optimizerT, before.optimizerT);
  // The next step does update (the test can fail): 31 → 32 changes the weights.
  const [next] = rec.at(32);
  assert.notDeepEqual(params(afterSkip)[0][1].data, params(next)[0][1].data);
  assert.ok(rec.values("loss", 32).every(Number.isFinite), "training goes on with finite losses");
});

test("rollback restores the last checkpoint's weights, skips the spiking batch and K more, and scales the lr", async () => {
  const K = 5;
  const rec = recorder();
  const cfg = config({
    recovery: "rollback", rollbackSkipBatches: K, rollbackLrScale: 0.5, rollbackLrSteps: 10,
    faults: [{ kind: "loss_scale", step: 45, factor: 10 }],
  });
  const result = await train(cfg, { runDir: path.join(root, "rollback"), dataDir }, rec.hooks,
  );
  assert.deepEqual(result, { status: "completed", step: 60 });
  assert.equal(rec.events.length, 1);
  assert.deepEqual({ ...rec.events[0], message: undefined, value: undefined, threshold: undefined },
    { type: "rollback", step: 45, toStep: 40, attempt: 1, message: undefined, value: undefined, threshold: undefined });

  // Checkpoint 40 was written once on the way and again after the rollback restored it.
  const [first, restored] = rec.at(40);
  assert.ok(first && restored, "checkpoint 40 written twice");
  assertSameTensors(params(first), params(restored), "restored weights");
  assertSameTensors(optimState(first), optimState(restored), "restored optimizer state");
  assert.equal(restored.optimizerT, first.optimizerT);
  // The data position went on past steps 40..45 (6 batches) and skipped K more.
  assert.equal(sequencesDrawn(restored) - sequencesDrawn(first), (45 - 40 + 1 + K) * B);

  // Steps 41..45 ran twice; the replay's lr is half the original for rollbackLrSteps steps.
  for (const step of [41, 45]) {
    const [original, replay] = rec.values("lr", step);
    assert.ok(Math.abs(replay / original - 0.5) < 1e-6, `lr at ${step}: ${original} then ${replay}`);
  }
  // The scaling lasts rollbackLrSteps after the restored step 40: step 49 is scaled, step 50 is not.
  const schedule = createSchedule(cfg);
  assert.ok(Math.abs(rec.values("lr", 49)[0] / schedule.lrAt(49) - 0.5) < 1e-6);
  assert.ok(Math.abs(rec.values("lr", 50)[0] / schedule.lrAt(50) - 1) < 1e-6);
  const [beforeSpike] = rec.values("lr", 39);
  assert.equal(rec.values("lr", 39).length, 1, "steps before the checkpoint are not replayed");
  assert.ok(beforeSpike > 0);
  const [spiked, replayed] = rec.values("loss", 45);
  assert.ok(spiked > 3 * replayed, `the replayed step 45 (${replayed}) no longer spikes (${spiked})`);
});

test("rollback gives up after maxRollbacks and fails the run with the reason", async () => {
  const rec = recorder();
  await assert.rejects(
    train(
      config({ recovery: "rollback", maxRollbacks: 1, faults: [{ kind: "loss_scale", step: 45, factor: 10 }, { kind: "nan", step: 50 }] }),
      { runDir: path.join(root, "give-up"), dataDir }, rec.hooks,
    ),
    /recovery exhausted: .*after 1 rollbacks \(maxRollbacks 1\)/,
  );
  assert.deepEqual(rec.events.map((e) => [e.type, e.step]), [["rollback", 45], ["recovery_exhausted", 50]]);
});
