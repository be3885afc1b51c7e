import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { readShard } from "../../formats/dataset";
import { Rng } from "../../lib/rng";
import { RunConfig } from "../../lib/run-config";
import { selectBackend } from "../../trainer/backend/backend";
import { MixtureSampler, type MixtureDomain } from "../../trainer/data/mixture";
import { createParams, disposeParams, modelConfig, type ModelConfig } from "../../trainer/model/model";
import { objectiveLoss } from "../../trainer/model/objectives";
import { writeTokenDataset } from "../helpers/token-dataset";

await selectBackend("wasm");
const root = fs.mkdtempSync(path.join(os.tmpdir(), "objectives-train-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function domainsOf(vocabSize: number): MixtureDomain[] {
  const m = writeTokenDataset(root, { vocabSize, domains: [{ name: "web", weight: 1, trainTokens: 60_000, valTokens: 4_000 }] });
  const shard = (split: string) => readShard(root, m.id, m.shards.find((s) => s.split === split)!.file);
  return [{ name: "web", weight: 1, train: shard("train"), val: shard("val") }];
}

/**
 * Trains with the model's objective for `steps` Adam steps on the synthetic dataset; the rng that
 * samples batches also draws the mlm masks, as in the trainer. Returns the per-step losses, the
 * validation loss before and after, and the median milliseconds per step.
 */
function run(cfg: ModelConfig, domains: MixtureDomain[], B: number, steps: number, lr: number) {
  const rng = new Rng(7);
  const T = cfg.contextLength;
  const sampler = new MixtureSampler(domains, B, T, rng);
  const params = createParams(cfg, rng);
  const vars = [...params.values()];
  const opt = tf.train.adam(lr, 0.9, 0.95);
  const val = sampler.valBatches(2);
  const valLoss = () => tf.tidy(() => val.reduce((s, b) => s + objectiveLoss(params, cfg, { ...b, B, T }).dataSync()[0], 0) / val.length);
  const before = valLoss();
  const losses: number[] = [];
  const ms: number[] = [];
  for (let s = 0; s < steps; s++) {
    const batch = sampler.nextBatch();
    const t0 = performance.now();
    const loss = opt.minimize(() => objectiveLoss(params, cfg, { ...batch, B, T }, rng), true, vars)!;
    losses.push(loss.dataSync()[0]);
    ms.push(performance.now() - t0);
    loss.dispose();
  }
  const afterLoss = valLoss();
  opt.dispose();
  disposeParams(params);
  return { losses, before, after: afterLoss, ms: ms.slice(3).sort((a, b) => a - b)[Math.floor((ms.length - 3) / 2)] };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

for (const [arch, objective] of [["llama", "clm"], ["gpt2", "prefix"], ["gpt2", "mlm"]] as const)
  test(`${arch} + ${objective}: 150 steps on the synthetic dataset lower the loss`, () => {
    const V = 64;
    const cfg: ModelConfig = { arch, objective, prefixFraction: 0.5, nLayer: 2, nHead: 2, dModel: 32, contextLength: 32, vocabSize: V };
    const tensors = tf.memory().numTensors;
    const r = run(cfg, domainsOf(V), 8, 150, 3e-3);
    const first = mean(r.losses.slice(0, 5));
    const last = mean(r.losses.slice(-10));
    console.log(`${arch} + ${objective}: train loss ${first.toFixed(3)} -> ${last.toFixed(3)}, val ${r.before.toFixed(3)} -> ${r.after.toFixed(3)}`);
    assert.ok(Math.abs(r.losses[0] - Math.log(V)) < 0.15, `initial loss ${r.losses[0]} is near ln ${V}`);
    assert.ok(last < first - 1, `train loss ${first} -> ${last}`);
    assert.ok(r.after < r.before - 1, `val loss ${r.before} -> ${r.after}`);
    assert.equal(tf.memory().numTensors, tensors, "training leaks no tensors");
  });

test("tokens/s of the default run config at vocabulary 2048 on wasm, per architecture (printed, not asserted)", () => {
  const domains = domainsOf(2048);
  for (const arch of ["gpt2", "llama"] as const) {
    const c = RunConfig.parse({ name: "bench", arch });
    const cfg = modelConfig(c, 2048);
    const r = run(cfg, domains, c.batchSize, 25, 1e-3);
    const tps = (c.batchSize * c.contextLength) / (r.ms / 1000);
    console.log(
      `${arch} (${c.nLayer} layers, ${c.nHead} heads, width ${c.dModel}, context ${c.contextLength}, batch ${c.batchSize}, clm): ` +
        `median ${tps.toFixed(0)} tokens/s (${r.ms.toFixed(1)} ms/step, forward + backward + Adam)`,
    );
    assert.ok(tps > 0);
  }
});
