import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { openTestDb, type TestDb } from "../helpers/db";
import { EV, type MetricPoint } from "../../lib/protocol";
import { browserSocket, prepareSmall, startServer, tempDataDir, TINY, waitFor, wasmLabel, type TestServer } from "../helpers/server";

const dataDir = tempDataDir("lifecycle");
let server: TestServer;
after(async () => {
  await server?.stop();
});

async function lossSteps(db: TestDb, runId: string): Promise<number[]> {
  return (await db.all<{ step: number }>(`SELECT "step" FROM "Metric" WHERE "runId" = ? AND "key" = 'loss' ORDER BY "step"`, runId)).map((r) => r.step);
}

test("a run trains, streams, stops with a checkpoint, resumes without duplicates and survives a restart", async () => {
  server = await startServer(dataDir);
  const live: MetricPoint[] = [];
  const socket = await browserSocket(server.url);

  const dataset = await prepareSmall(server);
  const created = await server.api.run.create.mutate({ ...TINY, name: "lifecycle", dataset });
  assert.equal(created.status, "queued");
  socket.emit(EV.runSubscribe, created.id);
  socket.on(EV.metricBatch, (msg: { runId: string; points: MetricPoint[] }) => {
    if (msg.runId === created.id) live.push(...msg.points);
  });

  // Metrics arrive live over socket.io, and the loss falls.
  const losses = () => live.filter((p) => p.key === "loss").sort((a, b) => a.step - b.step);
  await waitFor("60 live loss points", () => losses().length >= 60);
  const first = losses()[0];
  assert.equal(first.step, 0);
  const tail = losses().slice(-10).map((p) => p.value as number);
  const tailMean = tail.reduce((a, b) => a + b, 0) / tail.length;
  assert.ok(tailMean < (first.value as number) - 0.3, `loss should fall: first ${first.value}, recent mean ${tailMean}`);
  for (const key of ["lr", "grad_norm", "tokens_per_sec", "val_loss", "val_ppl"])
    assert.ok(live.some((p) => p.key === key), `metric ${key} was streamed`);
  const running = await server.api.run.get.query({ id: created.id });
  assert.equal(running.status, "running");
  assert.equal(running.backend, wasmLabel());

  // Stop: the trainer checkpoints, exits 0, and the server records the checkpoint's sha256.
  await server.api.run.stop.mutate({ id: created.id });
  await waitFor("stopped", async () => (await server.api.run.get.query({ id: created.id })).status === "stopped");
  const [checkpoint] = await server.api.checkpoint.list.query({ runId: created.id });
  assert.ok(checkpoint, "a checkpoint row exists");
  assert.ok(checkpoint.path.startsWith(path.join(dataDir, "runs", created.id)), checkpoint.path);
  const file = fs.readFileSync(checkpoint.path);
  assert.equal(file.length, checkpoint.bytes);
  assert.equal(createHash("sha256").update(file).digest("hex"), checkpoint.sha256);

  const db = await openTestDb(dataDir, { readonly: true });
  const beforeResume = await lossSteps(db, created.id);
  assert.equal(beforeResume.length, checkpoint.step, "every step before the checkpoint has exactly one loss row");

  // Resume: training continues at the checkpoint's step; no step is missing or doubled.
  live.length = 0;
  await server.api.run.resume.mutate({ id: created.id });
  await waitFor("20 steps after resume", () => losses().length >= 20);
  assert.equal(losses()[0].step, checkpoint.step, "resume continues at the next step");
  await server.api.run.stop.mutate({ id: created.id });
  await waitFor("stopped again", async () => (await server.api.run.get.query({ id: created.id })).status === "stopped");
  const steps = await lossSteps(db, created.id);
  assert.deepEqual(steps, steps.map((_, i) => i), "loss rows are steps 0..n-1, each once");
  const dupes = await db.all(`SELECT "key", "step", COUNT(*) AS "c" FROM "Metric" WHERE "runId" = ? GROUP BY "key", "step" HAVING COUNT(*) > 1`, created.id);
  assert.deepEqual(dupes, []);
  const stored = (await db.get<{ c: number }>(`SELECT COUNT(*) AS "c" FROM "Metric" WHERE "runId" = ?`, created.id))!;
  await db.close();
  socket.close();

  // Restart the server: the run and its whole history are still there.
  assert.equal(await server.stop(), 0);
  server = await startServer(dataDir);
  const again = await server.api.run.get.query({ id: created.id });
  assert.equal(again.status, "stopped");
  assert.equal(again.name, "lifecycle");
  const history = await server.api.metric.history.query({ runId: created.id, maxPoints: 100_000 });
  const total = Object.values(history).reduce((n, pts) => n + pts.length, 0);
  assert.equal(total, stored.c);
  assert.equal(history.loss.length, steps.length);
});
