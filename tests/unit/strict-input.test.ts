import assert from "node:assert/strict";
import { test } from "node:test";
import { TRPCError } from "@trpc/server";
import { AnomalyThresholds } from "../../lib/anomaly/thresholds";
import { DatasetSpec } from "../../lib/dataset-spec";
import { GenerateRequest, SamplingOptions } from "../../lib/generation";
import { findBadText, wellFormed } from "../../lib/text-guard";
import { fieldErrors, RunConfig } from "../../lib/run-config";
import { LOCAL } from "../../server/auth/principal";
import { confine } from "../../server/confine";
import { formatError } from "../../server/trpc/errors";
import { createCallerFactory, procedure, router } from "../../server/trpc/init";
import { createCaller } from "../../server/trpc/router";

const WRONG_TYPES: unknown[] = [true, false, null, "", "3", [], [3], {}];

test("number fields refuse true, false, null, strings, arrays and objects instead of coercing them", () => {
  const cases: [string, { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[] }[] } } }, Record<string, unknown>, (string | number)[]][] = [
    ["RunConfig.steps", RunConfig, { name: "x" }, ["steps"]],
    ["RunConfig.lr", RunConfig, { name: "x" }, ["lr"]],
    ["RunConfig.nLayer", RunConfig, { name: "x" }, ["nLayer"]],
    ["RunConfig.anomaly.window", RunConfig, { name: "x", anomaly: {} }, ["anomaly", "window"]],
    ["RunConfig.initFrom.step", RunConfig, { name: "x", initFrom: { runId: "r" } }, ["initFrom", "step"]],
    ["RunConfig.mixWeights.web", RunConfig, { name: "x", mixWeights: {} }, ["mixWeights", "web"]],
    ["AnomalyThresholds.spikeZ", AnomalyThresholds, {}, ["spikeZ"]],
    ["DatasetSpec.seed", DatasetSpec, { name: "d" }, ["seed"]],
    ["DatasetSpec.sources.0.weight", DatasetSpec, { name: "d", sources: [{ domain: "web", kind: "brown", weight: 1 }] }, ["sources", 0, "weight"]],
    ["SamplingOptions.temperature", SamplingOptions, { prompt: "p" }, ["temperature"]],
    ["GenerateRequest.topK", GenerateRequest, { runId: "r", step: 0, prompt: "p" }, ["topK"]],
    ["GenerateRequest.step", GenerateRequest, { runId: "r", step: 0, prompt: "p" }, ["step"]],
  ];
  for (const [label, schema, base, at] of cases) {
    for (const bad of WRONG_TYPES) {
      const input = structuredClone(base) as Record<string | number, unknown>;
      let o = input;
      for (const k of at.slice(0, -1)) o = o[k] as typeof o;
      o[at[at.length - 1]] = bad;
      const r = schema.safeParse(input);
      assert.equal(r.success, false, `${label} = ${JSON.stringify(bad)} was accepted`);
      assert.ok(r.error!.issues.some((i) => i.path.join(".") === at.join(".")), `${label} = ${JSON.stringify(bad)}: issue at ${at.join(".")}`);
    }
  }
  // The field itself is named, with the words the form shows.
  assert.equal(fieldErrors(RunConfig.safeParse({ name: "x", steps: true }).error!).steps, "Must be a number");
});

test("booleans take true or false only", () => {
  for (const bad of ["true", "false", 1, 0, null, []]) assert.equal(RunConfig.safeParse({ name: "x", restartOnCrash: bad }).success, false, JSON.stringify(bad));
  assert.equal(RunConfig.parse({ name: "x", restartOnCrash: true }).restartOnCrash, true);
});

test("findBadText names the path of NUL and lone surrogates, in values and keys, at any depth", () => {
  assert.equal(findBadText({ name: "fine", emoji: "💥", list: ["ok", "é"] }), null);
  assert.deepEqual(findBadText({ name: "a\u0000b" })?.path, ["name"]);
  assert.deepEqual(findBadText({ points: [{ key: "ok" }, { key: "x\ud800" }] })?.path, ["points", 1, "key"]);
  assert.deepEqual(findBadText({ a: { "\udfffk": 1 } })?.path, ["a", "\udfffk"]);
  assert.match(findBadText("\ud83d")!.message, /unpaired UTF-16 surrogates/);
  assert.match(findBadText(["\u0000"])!.message, /NUL/);
  let deep: unknown = "bad\u0000";
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.equal(findBadText(deep)?.path.length, 100_000, "no recursion: deep nesting cannot overflow the stack");
});

test("every procedure refuses NUL and lone surrogates with a 400 naming the field, before its resolver runs", async () => {
  // No services: the guard must answer before anything would touch them.
  const caller = createCaller({ services: null as never, principal: LOCAL });
  const cases: [() => Promise<unknown>, string][] = [
    [() => caller.run.get({ id: "a\u0000" }), "id"],
    [() => caller.run.create({ name: "n\ud800" } as never), "name"],
    [() => caller.metric.history({ runId: "r", keys: ["loss", "x\udfff"] }), "keys.1"],
    [() => caller.evalSet.register({ task: "piqa", name: "x", path: "/tmp/\u0000" }), "path"],
    [() => caller.dataset.prepare({ name: "d", sources: [{ domain: "web", kind: "folder", path: "a\ud800", weight: 1 }] }), "sources.0.path"],
  ];
  for (const [call, field] of cases) {
    await assert.rejects(call(), (e: unknown) => {
      assert.ok(e instanceof TRPCError, String(e));
      assert.equal(e.code, "BAD_REQUEST");
      assert.ok(e.message.startsWith(`${field}: must not contain`), e.message);
      const shape = formatError({ error: e, shape: { message: e.message, code: -32600, data: { code: "BAD_REQUEST", httpStatus: 400 } } });
      assert.ok(shape.data.fieldErrors?.[field], JSON.stringify(shape.data));
      return true;
    });
  }
});

test("an internal error answers with a request id only; known errors keep their words", () => {
  const internal = new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: 'Invalid `prisma.run.findUnique()` invocation: SELECT "x" FROM "Run"', cause: new Error("SQL") });
  const shape = formatError({ error: internal, shape: { message: internal.message, code: -32603, data: { code: "INTERNAL_SERVER_ERROR", httpStatus: 500, stack: "at x.ts:1" } } });
  assert.match(shape.message, /^Internal error \(request id [0-9a-f-]{36}\)$/);
  assert.equal(shape.data.stack, undefined);
  assert.equal(shape.message, `Internal error (request id ${shape.data.requestId})`);
  const known = new TRPCError({ code: "NOT_FOUND", message: "No run with id x" });
  assert.equal(formatError({ error: known, shape: { message: known.message, code: -32004, data: { code: "NOT_FOUND", httpStatus: 404 } } }).message, "No run with id x");
});

test("a validator that throws on a hostile value refuses the input without its runtime text", () => {
  const crash = new TRPCError({ code: "BAD_REQUEST", message: "Cannot convert object to primitive value", cause: new TypeError("Cannot convert object to primitive value") });
  const shape = formatError({ error: crash, shape: { message: crash.message, code: -32600, data: { code: "BAD_REQUEST", httpStatus: 400 } } });
  assert.match(shape.message, /^Invalid input \(request id [0-9a-f-]{36}\)$/);
});

test("a PathRefused that reaches tRPC is a 403 with its rule, not an internal error", async () => {
  const r = router({ open: procedure.query(() => confine("/etc/passwd", ["/nonexistent-root"], "A file")) });
  await assert.rejects(createCallerFactory(r)({ services: null as never, principal: LOCAL }).open(), (e: unknown) => {
    assert.ok(e instanceof TRPCError);
    assert.equal(e.code, "FORBIDDEN");
    assert.equal(e.message, "A file must lie inside DATA_DIR or an IMPORT_ROOTS directory (after symlinks are followed)");
    return true;
  });
});

test("wellFormed cuts without leaving a lone surrogate, so a trainer's clipped message passes the guard", () => {
  const emoji = "ab\u{1F600}cd"; // the emoji is two code units, at 2 and 3
  assert.equal(wellFormed(emoji, 3), "ab\ufffd");
  assert.equal(wellFormed(emoji, 4), "ab\u{1F600}");
  assert.equal(wellFormed("x\udc00y\ud800"), "x\ufffdy\ufffd");
  for (const s of [wellFormed(emoji, 3), wellFormed("x\udc00y\ud800")]) assert.equal(findBadText({ message: s }), null);
});
