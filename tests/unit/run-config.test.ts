import assert from "node:assert/strict";
import { test } from "node:test";
import { formNumber } from "../../lib/form-number";
import { fieldErrors, HINTS, LABELS, RunConfig, RunConfigFields } from "../../lib/run-config";

test("defaults fill every field but the name", () => {
  const c = RunConfig.parse({ name: "x" });
  assert.equal(c.nLayer, 2);
  assert.equal(c.dModel % c.nHead, 0);
  assert.equal(c.backend, "auto");
  for (const key of Object.keys(RunConfigFields.shape)) {
    assert.ok(HINTS[key as keyof typeof HINTS], `hint for ${key}`);
    assert.ok(LABELS[key as keyof typeof LABELS], `label for ${key}`);
  }
});

test("number fields take numbers only: the form converts its text before parsing", () => {
  assert.equal(RunConfig.safeParse({ name: "x", lr: "0.001", steps: "50", warmupSteps: "5" }).success, false);
  const c = RunConfig.parse({ name: "x", lr: formNumber("0.001"), steps: formNumber(" 50 "), warmupSteps: formNumber("5") });
  assert.equal(c.lr, 0.001);
  assert.equal(c.steps, 50);
});

test("bad values are refused with a message on their own field", () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ name: "" }, "name", /name/i],
    [{ name: "x", nLayer: 0 }, "nLayer", /At least 1/],
    [{ name: "x", steps: 1e9 }, "steps", /At most 10,000,000/],
    [{ name: "x", nLayer: 1.5 }, "nLayer", /whole number/],
    [{ name: "x", lr: "abc" }, "lr", /number/],
    [{ name: "x", lr: NaN }, "lr", /number/],
    [{ name: "x", nHead: 3, dModel: 64 }, "dModel", /divisible/],
    [{ name: "x", lr: 1e-3, minLr: 1e-2 }, "minLr", /exceed/],
    [{ name: "x", steps: 10, warmupSteps: 10 }, "warmupSteps", /shorter/],
    [{ name: "x", backend: "tpu" }, "backend", /One of/],
    [{ name: "x", dataset: "../etc" }, "dataset", /prepared dataset/],
  ];
  for (const [input, field, message] of cases) {
    const r = RunConfig.safeParse(input);
    assert.equal(r.success, false, JSON.stringify(input));
    const errors = fieldErrors(r.error!);
    assert.match(errors[field] ?? "", message, `${JSON.stringify(input)} → ${JSON.stringify(errors)}`);
  }
});
