import assert from "node:assert/strict";
import { after, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/rng";
import { selectBackend } from "../../trainer/backend/backend";
import type { Batch } from "../../trainer/data/mixture";
import type { WorkerFault } from "../../trainer/loop/parallel/messages";
import { type PoolOptions, WorkerPool } from "../../trainer/loop/parallel/pool";
import { createParams, disposeParams, lossFn, type ModelConfig } from "../../trainer/model/model";

await selectBackend("wasm");
const model: ModelConfig = { nLayer: 1, nHead: 2, dModel: 16, contextLength: 8, vocabSize: 32 };
const T = model.contextLength;
const params = createParams(model, new Rng(3));
after(() => disposeParams(params));
const rng = new Rng(5);
const batch: Batch = { x: Int32Array.from({ length: 4 * T }, () => rng.int(32)), y: Int32Array.from({ length: 4 * T }, () => rng.int(32)) };
const options = (over: Partial<PoolOptions> = {}): PoolOptions => ({ workers: 2, backend: "wasm", model, params, maxRows: 4, T, micro: 0, maskId: 31, ...over });

/** A pool whose second worker misbehaves at its second step: the first step works, the second fails with `message`. */
async function failsAtSecondStep(kind: WorkerFault["kind"], message: RegExp, over: Partial<PoolOptions> = {}) {
  const pool = await WorkerPool.start(options({ fault: { worker: 1, job: 2, kind }, ...over }));
  try {
    await pool.run(batch, 4, new Rng(1));
    const first = pool.gradients();
    tf.dispose([first.loss, ...first.grads.values()]);
    const t0 = performance.now();
    await assert.rejects(pool.run(batch, 4, new Rng(1)), message);
    const ms = performance.now() - t0;
    await assert.rejects(pool.run(batch, 4, new Rng(1)), message, "a failed pool refuses later steps with the same reason");
    return ms;
  } finally {
    await pool.close();
  }
}

test("a worker that throws fails the step at once with its message", async () => {
  const ms = await failsAtSecondStep("throw", /^Error: gradient worker 2 of 2 failed: injected fault in worker 1$/m);
  assert.ok(ms < 5000, `reported after ${ms} ms`);
});

test("a worker thread that exits fails the step at once", async () => {
  const ms = await failsAtSecondStep("exit", /gradient worker 2 of 2 exited with code 3/);
  assert.ok(ms < 5000, `reported after ${ms} ms`);
});

test("a worker that hangs fails the step after the timeout, and the pool still closes", async () => {
  const ms = await failsAtSecondStep("hang", /gradient worker 2 of 2 did not answer for a step within 1 s; it may be stuck/, { stepTimeoutMs: 1000 });
  assert.ok(ms >= 900 && ms < 5000, `reported after ${ms} ms`);
});

test("a worker that cannot start its backend fails the pool's start with the reason", async () => {
  await assert.rejects(WorkerPool.start(options({ backend: "tensorflow" })), /gradient worker \d of 2 crashed: Backend "tensorflow" needs @tensorflow\/tfjs-node-gpu/);
});

test("on 3 workers (shards 2, 1, 1) the gradient is the whole batch's, its tensors are the caller's, and the trainer's thread leaks none", async () => {
  const pool = await WorkerPool.start(options({ workers: 3 }));
  try {
    const before = tf.memory().numTensors;
    await pool.run(batch, 4, new Rng(1));
    const { loss, grads } = pool.gradients();
    assert.equal(grads.size, params.size);
    const { value, grads: whole } = tf.variableGrads(() => {
      const x = tf.tensor2d(batch.x, [4, T], "int32");
      const y = tf.tensor2d(batch.y, [4, T], "int32");
      return lossFn(params, model, x, y);
    }, [...params.values()]);
    assert.ok(Math.abs(loss.dataSync()[0] - value.dataSync()[0]) < 1e-5, `${loss.dataSync()[0]} vs ${value.dataSync()[0]}`);
    for (const [name, g] of grads) {
      const a = g.dataSync();
      const b = whole[name].dataSync();
      let max = 0;
      for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
      assert.ok(max < 1e-5, `${name}: ${max}`);
    }
    tf.dispose([loss, value, ...grads.values(), ...Object.values(whole)]);
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => pool.gradients(), /gradients\(\) before run\(\)/);
  } finally {
    await pool.close();
  }
});
