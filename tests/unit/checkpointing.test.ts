import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/rng";
import { selectBackend } from "../../trainer/backend/backend";
import { createParams, disposeParams, type ModelConfig, type Params } from "../../trainer/model/model";
import { type LossBatch, objectiveLoss } from "../../trainer/model/objectives";

await selectBackend("wasm");

function batchOf(B: number, T: number, V: number, seed: number): LossBatch {
  const r = new Rng(seed);
  return { x: Int32Array.from({ length: B * T }, () => r.int(V)), y: Int32Array.from({ length: B * T }, () => r.int(V)), B, T };
}

function lossAndGrads(p: Params, cfg: ModelConfig, batch: LossBatch) {
  const { value, grads } = tf.variableGrads(() => objectiveLoss(p, cfg, batch, new Rng(4)), [...p.values()]);
  const out = { loss: value.dataSync()[0], grads: new Map([...p].map(([n, v]) => [n, grads[v.name].dataSync() as Float32Array])) };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

for (const [arch, objective] of [["gpt2", "clm"], ["gpt2", "mlm"], ["llama", "clm"], ["llama", "prefix"]] as const)
  test(`${arch} ${objective}: checkpointed gradients equal the plain ones, and nothing leaks`, () => {
    const cfg: ModelConfig = { arch, objective, nLayer: 3, nHead: 2, dModel: 16, contextLength: 8, vocabSize: 40 };
    const p = createParams(cfg, new Rng(1));
    const batch = batchOf(2, 8, 40, 3);
    const plain = lossAndGrads(p, cfg, batch);
    const before = tf.memory().numTensors;
    const ckpt = lossAndGrads(p, { ...cfg, gradientCheckpointing: true }, batch);
    assert.equal(tf.memory().numTensors, before, "checkpointing leaves no tensors behind");
    assert.equal(ckpt.loss, plain.loss);
    for (const [name, g] of plain.grads) {
      const c = ckpt.grads.get(name)!;
      assert.ok(g.some((v) => v !== 0), `${name} has a gradient`);
      g.forEach((v, i) => assert.ok(Math.abs(v - c[i]) <= 1e-5, `${name}[${i}] ${v} vs ${c[i]}`));
    }
    // The engine's tape is intact afterwards: a plain pass still gives the same gradients.
    const again = lossAndGrads(p, cfg, batch);
    assert.deepEqual(again.grads, plain.grads);
    disposeParams(p);
  });

/**
 * Peak memory is the engine's high-water mark of live tensor bytes (tf.profile's peakBytes: the
 * byte total after every kernel of the step, forward and backward), minus the bytes held before
 * the step (parameters). That is the activation + gradient memory the step needs, whatever the
 * backend. tfjs frees nothing during backward (every saved activation and every intermediate
 * gradient lives until the step ends), so without checkpointing this grows with depth; with it,
 * a block's intermediates live only inside its own recompute.
 */
test("checkpointing at 8 layers, width 128, context 128, batch 8: peak memory (asserted lower) and step time (printed)", async () => {
  const B = 8;
  const T = 128;
  const V = 512;
  for (const arch of ["gpt2", "llama"] as const) {
    const cfg: ModelConfig = { arch, nLayer: 8, nHead: 4, dModel: 128, contextLength: T, vocabSize: V };
    const p = createParams(cfg, new Rng(1));
    const batch = batchOf(B, T, V, 2);
    const step = (gradientCheckpointing: boolean) => {
      const { value, grads } = tf.variableGrads(() => objectiveLoss(p, { ...cfg, gradientCheckpointing }, batch), [...p.values()]);
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    };
    const peaks: number[] = [];
    for (const ckpt of [true, false]) {
      const held = tf.memory().numBytes;
      peaks.push((await tf.profile(() => step(ckpt))).peakBytes - held);
    }
    // Alternated, so that load from other processes hits both alike.
    const times: number[][] = [[], []];
    for (let i = 0; i < 4; i++)
      [true, false].forEach((ckpt, k) => {
        const t0 = performance.now();
        step(ckpt);
        times[k].push(performance.now() - t0);
      });
    const ms = times.map((t) => t.slice(1).sort((a, b) => a - b)[1]);
    const line = (k: number) => `peak ${(peaks[k] / 2 ** 20).toFixed(1)} MiB of tensors above the parameters, ${ms[k].toFixed(0)} ms/step (median of 3)`;
    console.log(
      `${arch} (${(tf.memory().numBytes / 2 ** 20).toFixed(1)} MiB of parameters):\n  checkpointed: ${line(0)}\n  plain:        ${line(1)}\n` +
        `  checkpointed/plain: memory ${(peaks[0] / peaks[1]).toFixed(2)}x, time ${(ms[0] / ms[1]).toFixed(2)}x`,
    );
    assert.ok(peaks[0] > 0 && peaks[0] < peaks[1] / 2, `checkpointed peak ${peaks[0]} vs plain ${peaks[1]}`);
    disposeParams(p);
  }
});
