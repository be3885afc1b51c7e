import assert from "node:assert/strict";
import { test } from "node:test";
import { lrAt } from "../../lib/schedule";

const s = { lr: 1e-3, minLr: 1e-4, warmupSteps: 10, steps: 110 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test("linear warmup: lr*(step+1)/warmupSteps", () => {
  close(lrAt(0, s), 1e-4);
  close(lrAt(4, s), 5e-4);
  close(lrAt(9, s), 1e-3); // last warmup step reaches the peak
});

test("cosine decay from lr at the end of warmup to minLr at steps", () => {
  close(lrAt(10, s), 1e-3);
  close(lrAt(60, s), 1e-4 + 0.5 * (1e-3 - 1e-4)); // halfway: midpoint
  close(lrAt(35, s), 1e-4 + 0.5 * (1 + Math.cos(Math.PI * 0.25)) * 9e-4);
  close(lrAt(110, s), 1e-4);
  close(lrAt(500, s), 1e-4);
});

test("monotone decay after warmup; no warmup starts at the peak", () => {
  for (let i = 10; i < 110; i++) assert.ok(lrAt(i + 1, s) <= lrAt(i, s));
  close(lrAt(0, { ...s, warmupSteps: 0 }), 1e-3);
});
