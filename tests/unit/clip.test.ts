import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../trainer/backend/backend";
import { clipByGlobalNorm, globalNorm } from "../../trainer/loop/clip";

await selectBackend("wasm");
const grads = () => new Map<string, tf.Tensor>([["a", tf.tensor1d([3, 4])], ["b", tf.tensor2d([[12]])]]); // norm 13

test("global norm over all gradients", () => {
  const n = globalNorm(grads().values());
  assert.ok(Math.abs(n.dataSync()[0] - 13) < 1e-5);
});

test("clips to maxNorm when above, returns the pre-clip norm", () => {
  const { grads: c, norm } = clipByGlobalNorm(grads(), 6.5);
  assert.ok(Math.abs(norm.dataSync()[0] - 13) < 1e-5);
  const a = Array.from(c.get("a")!.dataSync());
  const b = Array.from(c.get("b")!.dataSync());
  [1.5, 2, 6].forEach((want, i) => assert.ok(Math.abs([...a, ...b][i] - want) < 1e-5, `${[...a, ...b]}`));
  assert.ok(Math.abs(globalNorm(c.values()).dataSync()[0] - 6.5) < 1e-4);
});

test("leaves gradients alone below maxNorm or when maxNorm is 0", () => {
  for (const maxNorm of [100, 0]) {
    const { grads: c, norm } = clipByGlobalNorm(grads(), maxNorm);
    assert.deepEqual(Array.from(c.get("a")!.dataSync()), [3, 4]);
    assert.ok(Math.abs(norm.dataSync()[0] - 13) < 1e-5);
  }
});
