import assert from "node:assert/strict";
import { test } from "node:test";
import { fieldOf, formFieldErrors, formFieldsOf } from "../../app/lib/field-errors";
import { RunConfig } from "../../lib/run-config";

test("an issue belongs to its nested field, and a list's issues to the list", () => {
  assert.equal(fieldOf(["dModel"]), "dModel");
  assert.equal(fieldOf(["anomaly", "spikeZ"]), "anomaly.spikeZ");
  assert.equal(fieldOf(["evals", 0, "file"]), "evals");
  assert.equal(fieldOf([]), "form");
});

test("the form and the server's dotted paths name the same fields", () => {
  const r = RunConfig.safeParse({ name: "x", anomaly: { spikeZ: 0 }, nHead: 3, dModel: 32 });
  assert.equal(r.success, false);
  const errors = formFieldErrors(r.error!);
  assert.match(errors["anomaly.spikeZ"] ?? "", /At least 1/);
  assert.match(errors.dModel ?? "", /divisible/);
  assert.deepEqual(formFieldsOf({ "anomaly.spikeZ": "At least 1", "evals.0.file": "no synthetic set" }), { "anomaly.spikeZ": "At least 1", evals: "no synthetic set" });
});
