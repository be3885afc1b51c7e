import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../trainer/backend";

test("auto falls through the missing native packages to wasm, without a warning", async () => {
  const r = await selectBackend("auto");
  assert.equal(r.name, "wasm");
  assert.equal(r.warning, undefined);
  assert.equal(tf.getBackend(), "wasm");
  assert.ok(tf.getKernel("UnsortedSegmentSum", "wasm"), "missing kernel registered");
});

test("explicit tensorflow that cannot load throws a clear error", async () => {
  await assert.rejects(selectBackend("tensorflow"), /tfjs-node.*neither loads/);
});

test("cpu is never silent", async () => {
  const r = await selectBackend("cpu");
  assert.equal(r.name, "cpu");
  assert.match(r.warning ?? "", /slower/);
  assert.equal((await selectBackend("wasm")).name, "wasm");
});
