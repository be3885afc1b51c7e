import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { memoryLimitBytes } from "../../host/memory-limit";
import { DatasetSpec } from "../../lib/dataset-spec";
import { checkMemory, memoryRefusal } from "../../lib/memory-check";
import { EV, type MetricPoint } from "../../lib/protocol";
import { openTestDb } from "../helpers/db";
import { browserSocket, prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";

const dataDir = tempDataDir("run-checks");
let server: TestServer;
before(async () => {
  server = await startServer(dataDir, { ENABLE_FAULT_INJECTION: "1" });
});
after(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The new user's config: 2.4 B parameters, about 13 TB of activations. */
const HUGE = { ...TINY, nLayer: 48, nHead: 16, dModel: 2048, contextLength: 2048, batchSize: 512 };
const DEFAULT_VOCAB = DatasetSpec.parse({ name: "default" }).tokenizer.vocabSize;
const fieldErrorsOf = async (input: Record<string, unknown>): Promise<Record<string, string>> => {
  try {
    await server.api.run.create.mutate(input as never);
  } catch (e) {
    return (e as { data?: { fieldErrors?: Record<string, string> } }).data?.fieldErrors ?? {};
  }
  assert.fail(`${JSON.stringify(input)} was accepted`);
};

test("a config that cannot fit is refused with the numbers, for wasm's 4 GiB and for the machine's memory", async () => {
  const wasm = await fieldErrorsOf({ ...HUGE, name: "huge", backend: "wasm" });
  const expected = memoryRefusal(checkMemory({ ...HUGE, microBatchSize: 0, batchRampStart: 0, batchRampTokens: 0, arch: "gpt2", optimizer: "adamw", gradientCheckpointing: false, vocabSize: DEFAULT_VOCAB }, "wasm", memoryLimitBytes()));
  assert.equal(wasm.ignoreMemoryCheck, expected);
  assert.match(wasm.ignoreMemoryCheck, /^This run needs ~13\.\d TB, this machine has [\d.]+ GiB; the wasm backend can address 4 GiB\. .*"Try anyway"$/);

  const cpu = await fieldErrorsOf({ ...HUGE, name: "huge-cpu", backend: "cpu" });
  assert.match(cpu.ignoreMemoryCheck, /^This run needs ~13\.\d TB, this machine has [\d.]+ GiB\. /);
  assert.doesNotMatch(cpu.ignoreMemoryCheck, /wasm/);

  // 6 GB of activations: over wasm's heap, within no machine this suite runs on is that guaranteed, so only wasm is asserted.
  const wasmOnly = await fieldErrorsOf({ ...TINY, name: "wasm-only", nLayer: 8, dModel: 512, nHead: 8, contextLength: 512, batchSize: 32, backend: "wasm" });
  assert.match(wasmOnly.ignoreMemoryCheck, /the wasm backend can address 4 GiB/);
  assert.deepEqual(await server.api.run.list.query(), [], "nothing was created");
});

test("a bad mixture override is refused at each key: unknown domains by name with the known ones, bad weights beside them, with the other field errors in the same answer", async () => {
  const errors = await fieldErrorsOf({ ...TINY, name: "mix", mixWeights: { code: -1, nope: 2 }, nHead: 3, dModel: 32, lr: -1, warmupSteps: 5000, steps: 100 });
  assert.match(errors["mixWeights.code"], /At least 0/);
  assert.equal(errors["mixWeights.nope"], "unknown domain; this dataset has web, books, dialogue, code");
  assert.match(errors.dModel, /divisible by heads/, "a cross-field error comes with the field errors");
  assert.match(errors.lr, /At least/);
  assert.match(errors.warmupSteps, /shorter than the run/);
  const onlyUnknown = await fieldErrorsOf({ ...TINY, name: "mix2", mixWeights: { nope: 1 } });
  assert.deepEqual(Object.keys(onlyUnknown), ["mixWeights.nope"]);
  assert.deepEqual(await server.api.run.list.query(), []);
});

test("a trainer whose allocation fails (wasm's Aborted()) fails fast with a plain out-of-memory message and an oom alert", async () => {
  const dataset = await prepareSmall(server);
  const run = await server.api.run.create.mutate({ ...TINY, name: "abort", dataset, faults: [{ kind: "abort", step: 3 }] });
  const failed = await waitFor("the run to end", async () => {
    const r = await server.api.run.get.query({ id: run.id });
    return ["failed", "crashed", "completed", "stopped"].includes(r.status) ? r : null;
  });
  assert.equal(failed.status, "failed");
  assert.match(failed.error ?? "", /^Out of memory: an allocation failed in the wasm backend's heap \(at most 4 GiB\); .*\(Aborted\(\)\. Build with -sASSERTIONS/);
  assert.ok(failed.backend, "the run says which backend it ran on, not starting…");
  const alert = await waitFor("an oom alert", async () => (await server.api.alert.list.query({ runId: run.id })).find((a) => a.type === "oom"));
  assert.match(alert.message, /Out of memory/);
});

test("resume at a chosen checkpoint trains on from there; later checkpoints are set aside and later metrics superseded", async () => {
  const dataset = await prepareSmall(server);
  const run = await server.api.run.create.mutate({ ...TINY, name: "rewind", dataset, steps: 100_000, checkpointInterval: 15 });
  await waitFor("step 50", async () => (await server.api.run.get.query({ id: run.id })).step >= 50, 300_000);
  await server.api.run.stop.mutate({ id: run.id });
  await waitFor("stopped", async () => (await server.api.run.get.query({ id: run.id })).status === "stopped");
  const before = (await server.api.checkpoint.list.query({ runId: run.id })).map((c) => c.step).sort((a, b) => a - b);
  assert.ok(before.length >= 3, `checkpoints at ${before}`);
  const chosen = before[1];
  const later = before.filter((s) => s > chosen);

  await assert.rejects(server.api.run.resume.mutate({ id: run.id, step: chosen + 1 }), /no checkpoint at step/);
  const socket = await browserSocket(server.url);
  const live: MetricPoint[] = [];
  socket.emit(EV.runSubscribe, run.id);
  socket.on(EV.metricBatch, (msg: { runId: string; points: MetricPoint[] }) => msg.runId === run.id && live.push(...msg.points));
  const resumed = await server.api.run.resume.mutate({ id: run.id, step: chosen });
  assert.equal(resumed.step, chosen);
  const losses = () => live.filter((p) => p.key === "loss").sort((a, b) => a.step - b.step);
  await waitFor("5 steps after the resume", () => losses().length >= 5);
  socket.close();
  // Steps count from 0, so the checkpoint at step S holds S steps and the next one trained is step S.
  assert.equal(losses()[0].step, chosen, "training goes on right after the chosen checkpoint");
  const log = fs.readFileSync(path.join(dataDir, "runs", run.id, "trainer.log"), "utf8");
  assert.match(log.split("starting at step").at(-2) ?? "", new RegExp(`resumed from \\S+step-0*${chosen}\\S+ at step ${chosen}\\b`));

  await server.api.run.stop.mutate({ id: run.id });
  await waitFor("stopped again", async () => (await server.api.run.get.query({ id: run.id })).status === "stopped");
  const asideDirs = fs.readdirSync(path.join(dataDir, "runs", run.id)).filter((d) => d.startsWith("checkpoints-set-aside-"));
  assert.equal(asideDirs.length, 1);
  const aside = fs.readdirSync(path.join(dataDir, "runs", run.id, asideDirs[0])).sort();
  assert.deepEqual(aside, later.map((s) => `step-${String(s).padStart(6, "0")}`), "the later checkpoints are kept, set aside");
  const db = await openTestDb(dataDir, { readonly: true });
  try {
    const superseded = await db.all<{ step: number }>(`SELECT DISTINCT "step" FROM "SupersededMetric" WHERE "runId" = ? AND "key" = 'loss' ORDER BY "step"`, run.id);
    assert.ok(superseded.length > 0 && superseded.every((r) => r.step > chosen), "the metrics after the chosen step were superseded");
    const dupes = await db.all(`SELECT "step" FROM "Metric" WHERE "runId" = ? AND "key" = 'loss' GROUP BY "step" HAVING COUNT(*) > 1`, run.id);
    assert.deepEqual(dupes, []);
  } finally {
    await db.close();
  }
});
