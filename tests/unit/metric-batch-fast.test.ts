import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { fastMetricBatch } from "../../lib/metric-batch-fast";
import { MetricBatch } from "../../lib/protocol";
import { findBadText } from "../../lib/text-guard";

const validPoint = fc.record({
  step: fc.nat(),
  key: fc.constantFrom("loss", "lr", "eval/piqa/acc", "data/share/web", "__proto__", "constructor"),
  value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null)),
  wallTime: fc.double({ min: 1e-3, max: 2e9, noNaN: true }),
});
/** A field of a point or of the batch set to something else (or added, or removed). */
const odd = fc.oneof(fc.double(), fc.integer(), fc.constant(2 ** 53), fc.constant(-1), fc.constant(0), fc.constant(null), fc.constant(true), fc.string({ maxLength: 70 }),
  fc.constantFrom("Loss", "", "a\u0000", "\ud800", "x".repeat(65), "ok"), fc.constant(undefined), fc.jsonValue());
const field = fc.constantFrom("step", "key", "value", "wallTime", "extra", "seq", "points", "replay");
const batch = fc.record({
  seq: fc.nat(),
  points: fc.array(validPoint, { minLength: 1, maxLength: 20 }),
  replay: fc.option(fc.constant(true), { nil: undefined }),
  mutation: fc.option(fc.tuple(fc.nat(), field, odd), { nil: undefined }),
}).map(({ mutation, replay, ...b }) => {
  const out: Record<string, unknown> = replay ? { ...b, replay } : { ...b };
  if (mutation) {
    const [at, f, v] = mutation;
    const target = ["seq", "points", "replay", "extra"].includes(f) && at % 2 ? out : (out.points as Record<string, unknown>[])[at % b.points.length];
    if (v === undefined) delete target[f];
    else target[f] = v;
  }
  return out;
});

test("the fast metric-batch check accepts only what the schema and the text guard accept, and gives what the schema gives", () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.oneof(batch, fc.jsonValue()), (raw) => {
      const payload = JSON.parse(JSON.stringify(raw));
      const fast = fastMetricBatch(payload);
      if (fast === null) return;
      accepted++;
      assert.equal(findBadText(payload), null);
      const slow = MetricBatch.safeParse(payload);
      assert.ok(slow.success, JSON.stringify(payload));
      assert.deepEqual(fast, slow.data);
    }),
    { numRuns: 5000, seed: 42 },
  );
  assert.ok(accepted > 100, `only ${accepted} payloads took the fast path`);
});

test("a trainer's well-formed batch takes the fast path; anything off the schema's shape does not", () => {
  const good = { seq: 3, points: [{ step: 0, key: "loss", value: 2.5, wallTime: 1.7e9 }, { step: 0, key: "grad_norm", value: null, wallTime: 1.7e9 }] };
  assert.deepEqual(fastMetricBatch(good), good);
  assert.deepEqual(fastMetricBatch({ ...good, replay: true }), { ...good, replay: true });
  for (const bad of [
    { ...good, extra: 1 },
    { ...good, replay: false },
    { seq: 3, points: [] },
    { seq: -1, points: good.points },
    { seq: 3, points: [{ ...good.points[0], step: 1.5 }] },
    { seq: 3, points: [{ ...good.points[0], key: "Loss" }] },
    { seq: 3, points: [{ ...good.points[0], wallTime: 0 }] },
    { seq: 3, points: [{ ...good.points[0], note: "x" }] },
    { seq: 3, points: [{ step: 0, key: "loss", wallTime: 1 }] },
  ]) assert.equal(fastMetricBatch(bad), null, JSON.stringify(bad));
});
