import assert from "node:assert/strict";
import { test } from "node:test";
import { AnomalyThresholds, DEFAULT_THRESHOLDS, THRESHOLD_HINTS, THRESHOLD_LABELS } from "../../lib/anomaly/thresholds";
import { formNumber } from "../../lib/form-number";

const message = (input: unknown, field: string) => {
  const r = AnomalyThresholds.safeParse(input);
  assert.equal(r.success, false, `${JSON.stringify(input)} should be rejected`);
  const issue = r.error!.issues.find((i) => i.path[0] === field);
  assert.ok(issue, `no issue on ${field}: ${JSON.stringify(r.error!.issues)}`);
  return issue.message;
};

test("defaults parse from {} and every field has a default", () => {
  assert.deepEqual(AnomalyThresholds.parse({}), DEFAULT_THRESHOLDS);
  for (const k of Object.keys(AnomalyThresholds.shape)) assert.equal(typeof (DEFAULT_THRESHOLDS as Record<string, unknown>)[k], "number", k);
  assert.equal(DEFAULT_THRESHOLDS.window, 100);
  assert.equal(DEFAULT_THRESHOLDS.spikeMinRise, 0.05);
});

test("numbers only: form text is converted before parsing, and text itself is refused", () => {
  assert.equal(AnomalyThresholds.safeParse({ window: "200" }).success, false);
  const t = AnomalyThresholds.parse({ window: formNumber("200"), spikeZ: formNumber("7.5"), gradFloor: formNumber("1e-9"), throughputPatience: formNumber("3") });
  assert.equal(t.window, 200);
  assert.equal(t.spikeZ, 7.5);
  assert.equal(t.gradFloor, 1e-9);
  assert.equal(t.throughputPatience, 3);
  assert.equal(t.dropZ, DEFAULT_THRESHOLDS.dropZ);
});

test("out-of-range and malformed values are rejected with clear messages", () => {
  assert.equal(message({ window: 5 }, "window"), "At least 10");
  assert.equal(message({ window: 20000 }, "window"), "At most 10,000");
  assert.equal(message({ window: 10.5 }, "window"), "Must be a whole number");
  assert.equal(message({ spikeZ: formNumber("abc") }, "spikeZ"), "Must be a number");
  assert.equal(message({ spikeZ: "7" }, "spikeZ"), "Must be a number");
  assert.equal(message({ memoryShare: 1.5 }, "memoryShare"), "At most 1");
  assert.equal(message({ throughputShare: 0 }, "throughputShare"), "At least 0.01");
  assert.equal(message({ evalDrop: -0.1 }, "evalDrop"), "At least 0");
  assert.equal(message({ stallSeconds: formNumber("") }, "stallSeconds"), "Must be a number"); // an emptied field is an error, not 0
});

test("every field has a hint and a label", () => {
  for (const k of Object.keys(AnomalyThresholds.shape) as (keyof AnomalyThresholds)[]) {
    assert.ok(THRESHOLD_HINTS[k]?.length > 10, `hint for ${k}`);
    assert.ok(THRESHOLD_LABELS[k]?.length > 2, `label for ${k}`);
  }
  assert.equal(Object.keys(THRESHOLD_HINTS).length, Object.keys(AnomalyThresholds.shape).length);
});
