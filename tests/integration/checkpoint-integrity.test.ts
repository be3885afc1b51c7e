import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { openTestDb } from "../helpers/db";
import { NO_VERIFIED_CHECKPOINT } from "../../lib/protocol";
import { prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";

const dataDir = tempDataDir("checkpoint-integrity");
let server: TestServer;
let dataset: string;

before(async () => {
  server = await startServer(dataDir);
  dataset = await prepareSmall(server);
});
after(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const get = (id: string) => server.api.run.get.query({ id });
const lossRows = async (runId: string) => {
  const db = await openTestDb(dataDir, { readonly: true });
  try {
    return (await db.get<{ n: number }>(`SELECT COUNT(*) AS "n" FROM "Metric" WHERE "runId" = ? AND "key" = 'loss'`, runId))!.n;
  } finally {
    await db.close();
  }
};
const trainerLog = (runId: string) => fs.readFileSync(path.join(dataDir, "runs", runId, "trainer.log"), "utf8");

/** Flips bytes in the tensor data (the file still parses) and deletes the sidecar, so only the database's sha256 can tell. */
function corrupt(file: string) {
  const buf = fs.readFileSync(file);
  // An increment, not an xor: corrupting a file twice must not restore it.
  for (let i = 1; i <= 64; i++) buf[buf.length - i * 8] = (buf[buf.length - i * 8] + 1) & 0xff;
  fs.writeFileSync(file, buf);
  fs.rmSync(path.join(path.dirname(file), "checkpoint.sha256"), { force: true });
}

async function trainThenStop(runId: string, atLeast: number) {
  await waitFor(`step ${atLeast}`, async () => {
    const run = await get(runId);
    return run.status === "running" && run.step >= atLeast;
  }, 300_000);
  await server.api.run.stop.mutate({ id: runId });
  const stopped = await waitFor("stopped", async () => {
    const run = await get(runId);
    return run.status === "stopped" || run.status === "failed" ? run : null;
  }, 120_000);
  assert.equal(stopped.status, "stopped", stopped.error ?? "");
}

test("a corrupt checkpoint is not loaded, export refuses it, and an alert names it and the fallback; with none verified the run fails until a resume from scratch", async () => {
  const run = await server.api.run.create.mutate({ ...TINY, name: "integrity", dataset, steps: 100_000, checkpointInterval: 50 });
  await trainThenStop(run.id, 160);
  const checkpoints = await server.api.checkpoint.list.query({ runId: run.id });
  const [newest, fallback] = checkpoints; // newest first: the stop's, then the last interval's
  assert.ok(newest.step > 150 && fallback.step >= 150, `checkpoints ${checkpoints.map((c) => c.step)}`);

  corrupt(newest.path);
  await assert.rejects(server.api.checkpoint.export.mutate({ runId: run.id, step: newest.step }), /corrupt/);

  await server.api.run.resume.mutate({ id: run.id });
  const alert = await waitFor("a checkpoint_corrupt alert", async () =>
    (await server.api.alert.list.query({ runId: run.id })).find((a) => a.type === "checkpoint_corrupt"), 120_000);
  assert.match(alert.message, new RegExp(`step ${newest.step}\\b`));
  assert.match(alert.message, new RegExp(`step ${fallback.step} instead`));
  await waitFor("the resumed trainer to start", () => /resumed from .* at step/.test(trainerLog(run.id)), 120_000);
  assert.match(trainerLog(run.id), new RegExp(`resumed from \\S+step-0*${fallback.step}\\S+ at step ${fallback.step}`));

  // Every checkpoint corrupt: the run fails with that reason and trains nothing.
  await trainThenStop(run.id, fallback.step + 5);
  const all = await server.api.checkpoint.list.query({ runId: run.id });
  for (const c of all) corrupt(c.path);
  const rowsBefore = await lossRows(run.id);
  await server.api.run.resume.mutate({ id: run.id });
  const failed = await waitFor("the run to fail", async () => {
    const r = await get(run.id);
    return r.status === "failed" || r.status === "completed" ? r : null;
  }, 120_000);
  assert.equal(failed.status, "failed");
  assert.ok(failed.error?.startsWith(NO_VERIFIED_CHECKPOINT), failed.error ?? "");
  assert.doesNotMatch(trainerLog(run.id).split("resumed from").pop()!, /starting at step 0/, "it does not restart at step 0 on its own");
  assert.equal(await lossRows(run.id), rowsBefore, "no step was trained");

  // The person chooses to start over.
  await server.api.run.resume.mutate({ id: run.id, fromScratch: true });
  await waitFor("a fresh start at step 0", () => /starting at step 0/.test(trainerLog(run.id).split(NO_VERIFIED_CHECKPOINT).pop()!), 120_000).catch(async (e) => {
    console.log(`run ${JSON.stringify(await get(run.id))}\n${trainerLog(run.id).slice(-3000)}`);
    throw e;
  });
  await trainThenStop(run.id, 5);
  assert.equal((await get(run.id)).error, null);
});
