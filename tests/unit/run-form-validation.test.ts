import assert from "node:assert/strict";
import { test } from "node:test";
import { formIssues, formMemoryVerdict } from "../../app/components/run-form/run-form-checks";
import { formFieldErrors, formFieldsOf } from "../../app/lib/field-errors";
import { DEFAULT_DOMAINS } from "../../lib/dataset-domains";
import { checkMemory, WASM_HEAP_BYTES } from "../../lib/memory-check";
import { RunConfig } from "../../lib/run-config";
import { guardMemory } from "../../trainer/loop/memory-guard";

const GiB = 2 ** 30;

test("field errors and cross-field errors come in one round", () => {
  const r = RunConfig.safeParse({ name: "", lr: 1e-3, minLr: 1e-2, nHead: 3, dModel: 64, batchSize: 8, microBatchSize: 3, steps: 10, warmupSteps: 10, nLayer: 0 });
  assert.equal(r.success, false);
  const errors = formFieldErrors(r.error!);
  assert.match(errors.name ?? "", /name/);
  assert.match(errors.nLayer ?? "", /At least 1/);
  assert.match(errors.dModel ?? "", /divisible by heads \(3\)/);
  assert.match(errors.minLr ?? "", /exceed/);
  assert.match(errors.microBatchSize ?? "", /divide the batch \(8\)/);
  assert.match(errors.warmupSteps ?? "", /shorter/);
});

test("a cross-field rule is skipped when one of its fields is itself invalid, which then shows its own error", () => {
  const errors = formFieldErrors(RunConfig.safeParse({ name: "x", nHead: "three", dModel: 64, steps: 0, warmupSteps: 5 }).error!);
  assert.match(errors.nHead ?? "", /number/);
  assert.equal(errors.dModel, undefined, "no divisibility message against a head count that is not a number");
  assert.match(errors.steps ?? "", /At least 1/);
  assert.equal(errors.warmupSteps, undefined);
  assert.equal(RunConfig.safeParse("not an object").success, false, "a non-object is refused without the rules throwing");
});

test("mixture errors land on the mixture field, naming the key, from the form's checks and from the server's paths", () => {
  const r = RunConfig.safeParse({ name: "x", mixWeights: { code: -1, nope: 2 } });
  const issues = [...r.error!.issues, ...formIssues({ mixWeights: { code: -1, nope: 2 } }, DEFAULT_DOMAINS, null)];
  assert.deepEqual(issues.map((i) => i.path.join(".")), ["mixWeights.code", "mixWeights.nope"]);
  const errors = formFieldErrors(r.error!);
  assert.match(errors.mixWeights ?? "", /^"code": At least 0/);
  const both = formFieldsOf({ "mixWeights.code": "At least 0", "mixWeights.nope": "unknown domain; this dataset has web, books, dialogue, code" });
  assert.equal(both.mixWeights, '"code": At least 0; "nope": unknown domain; this dataset has web, books, dialogue, code', "every bad key shows at once");
  assert.deepEqual(formFieldsOf({ "mixWeights.nope": "unknown domain; this dataset has web, books, dialogue, code", lr: "At least 1e-7" }), {
    mixWeights: '"nope": unknown domain; this dataset has web, books, dialogue, code', lr: "At least 1e-7",
  });
  assert.deepEqual(formFieldsOf({ "anomaly.spikeZ": "At least 1", "evals.0.file": "x", form: "y" }), { "anomaly.spikeZ": "At least 1", evals: "x", form: "y" });
});

const HUGE = { name: "x", nLayer: 48, nHead: 16, dModel: 2048, contextLength: 2048, batchSize: 512 };

test("the memory check: the Plan's estimate against the machine, and wasm's 4 GiB", () => {
  const c = { ...RunConfig.parse(HUGE), vocabSize: 4096 };
  const wasm = checkMemory(c, "wasm", 24 * GiB);
  assert.equal(wasm.fits, false);
  assert.equal(wasm.limitBytes, WASM_HEAP_BYTES);
  assert.match(wasm.message ?? "", /^needs ~13\.\d TB, this machine has 24 GiB; the wasm backend can address 4 GiB$/);
  assert.equal(checkMemory(c, "cpu", 24 * GiB).message?.includes("wasm"), false);
  const small = { ...RunConfig.parse({ name: "x" }), vocabSize: 4096 };
  assert.equal(checkMemory(small, "wasm", 24 * GiB).fits, true);
  // Checkpointing counts: its activations are the smaller figure the Plan shows in bold.
  const ckpt = checkMemory({ ...c, gradientCheckpointing: true }, "cpu", 24 * GiB);
  assert.ok(ckpt.needBytes < checkMemory(c, "cpu", 24 * GiB).needBytes);
});

test("the form refuses a run over the limit unless 'try anyway' is ticked, and auto counts as the backend it takes", () => {
  const report = { auto: "wasm" as const, cores: 2, memoryBytes: 24 * GiB, backends: [] };
  const input = { ...HUGE, backend: "auto", ignoreMemoryCheck: false };
  const verdict = formMemoryVerdict(input, 4096, report, false)!;
  assert.match(verdict.message ?? "", /wasm backend can address 4 GiB/);
  assert.match(formIssues(input, null, verdict)[0].message, /^This run needs ~13\.\d TB.*"Try anyway"$/);
  assert.deepEqual(formIssues({ ...input, ignoreMemoryCheck: true }, null, verdict), []);
  assert.equal(formMemoryVerdict(input, 4096, report, true), null, "a worker's machine is not this one");
  assert.equal(formMemoryVerdict(input, 4096, { ...report, memoryBytes: undefined }, false), null);
});

test("the trainer checks its estimate before allocating: it refuses with the numbers, or warns when asked to try anyway", () => {
  const config = RunConfig.parse(HUGE);
  assert.throws(() => guardMemory(config, 4096, "wasm", () => {}, 24 * GiB), /^Error: Out of memory: this run needs ~13\.\d TB, this machine has 24 GiB; the wasm backend can address 4 GiB \(checked before allocating\)/);
  const logged: string[] = [];
  guardMemory({ ...config, ignoreMemoryCheck: true }, 4096, "wasm", (m) => logged.push(m), 24 * GiB);
  assert.match(logged[0], /^warning: this run needs ~13\.\d TB.*starting anyway/);
  guardMemory(RunConfig.parse({ name: "x" }), 4096, "wasm", (m) => logged.push(m), 24 * GiB);
  assert.equal(logged.length, 1);
});
