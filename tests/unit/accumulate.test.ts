import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/rng";
import { selectBackend } from "../../trainer/backend/backend";
import type { Batch } from "../../trainer/data/mixture";
import { accumulateGradients, type Pass } from "../../trainer/loop/accumulate";
import { clipByGlobalNorm } from "../../trainer/loop/clip";
import { createParams, lossFn, type ModelConfig, type Params } from "../../trainer/model/model";
import { AdamW } from "../../trainer/optimizers";

await selectBackend("wasm");

const model: ModelConfig = { nLayer: 2, nHead: 2, dModel: 32, contextLength: 16, vocabSize: 50 };
const T = model.contextLength;
const rng = new Rng(4);
const batch: Batch = {
  x: Int32Array.from({ length: 8 * T }, () => rng.int(model.vocabSize)),
  y: Int32Array.from({ length: 8 * T }, () => rng.int(model.vocabSize)),
};

const passOf = (params: Params): Pass => (b, rows) => {
  const x = tf.tensor2d(b.x, [rows, T], "int32");
  const y = tf.tensor2d(b.y, [rows, T], "int32");
  return tf.variableGrads(() => lossFn(params, model, x, y), [...params.values()]);
};

/** Accumulate, clip, one AdamW step: the trainer's step, on a fresh copy of the same weights. */
function step(micro: number) {
  const params = createParams(model, new Rng(9));
  const opt = new AdamW(params, { beta1: 0.9, beta2: 0.95, weightDecay: 0.1 });
  opt.learningRate = 1e-3;
  const before = tf.memory().numTensors;
  const { loss, grads } = accumulateGradients(passOf(params), batch, 8, micro, T);
  const leaked = tf.memory().numTensors - before - 1 - grads.size;
  const byName = new Map([...params].map(([name, p]) => [name, grads.get(p.name)!.dataSync().slice()]));
  const { grads: clipped, norm } = clipByGlobalNorm(grads, 0.5);
  opt.applyGradients(Object.fromEntries(clipped));
  const out = {
    loss: loss.dataSync()[0], norm: norm.dataSync()[0], leaked, grads: byName,
    weights: new Map([...params].map(([name, p]) => [name, p.dataSync().slice()])),
  };
  tf.dispose([loss, norm, ...grads.values(), ...clipped.values(), ...params.values()]);
  opt.dispose();
  return out;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

test("4 micro-batches of 2 give the same loss, gradients and update as one batch of 8 (within 1e-5)", () => {
  const whole = step(8);
  const acc = step(2);
  assert.ok(Math.abs(acc.loss - whole.loss) < 1e-5, `loss ${acc.loss} vs ${whole.loss}`);
  assert.ok(whole.norm > 0.5, `the clip is active (norm ${whole.norm})`);
  assert.ok(Math.abs(acc.norm - whole.norm) < 1e-5, `norm ${acc.norm} vs ${whole.norm}`);
  for (const [name, g] of whole.grads) assert.ok(maxDiff(acc.grads.get(name)!, g) < 1e-5, `gradient of ${name}`);
  for (const [name, w] of whole.weights) assert.ok(maxDiff(acc.weights.get(name)!, w) < 1e-5, `weights ${name}`);
  assert.equal(acc.leaked, 0, "only the loss and the summed gradients outlive the passes");
  // Not a vacuous comparison: one micro-batch alone gives a different gradient.
  const params = createParams(model, new Rng(9));
  const one = accumulateGradients(passOf(params), batch, 2, 2, T);
  const g = one.grads.get(params.get("wte")!.name)!.dataSync();
  assert.ok(maxDiff(g, whole.grads.get("wte")!) > 1e-4);
  tf.dispose([one.loss, ...one.grads.values(), ...params.values()]);
});

test("micro-batches that do not divide the batch (3, 3, 2) are weighted by their rows and match one batch of 8", () => {
  const whole = step(8);
  const ragged = step(3);
  assert.ok(Math.abs(ragged.loss - whole.loss) < 1e-5, `loss ${ragged.loss} vs ${whole.loss}`);
  for (const [name, g] of whole.grads) assert.ok(maxDiff(ragged.grads.get(name)!, g) < 1e-5, `gradient of ${name}`);
  assert.equal(ragged.leaked, 0);
  assert.throws(() => accumulateGradients(() => { throw new Error("not called"); }, batch, 8, 0, T), /cannot split a batch of 8 into micro-batches of 0/);
});
