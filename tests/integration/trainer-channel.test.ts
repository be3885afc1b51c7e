import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { io, type Socket } from "socket.io-client";
import { EV, type MetricPoint } from "../../lib/protocol";
import { RunConfig } from "../../lib/run-config";
import { openDb, type Db } from "../../server/db/db";
import { loadEnv } from "../../server/env";
import { databaseEnv } from "../helpers/db";
import { prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";

const dataDir = tempDataDir("trainer-channel");
let server: TestServer;
let dataset: string;
let db: Db;

before(async () => {
  server = await startServer(dataDir);
  db = openDb(loadEnv({ DATA_DIR: dataDir, ...(await databaseEnv(dataDir)) }));
  dataset = await prepareSmall(server);
});
after(async () => {
  await db?.$disconnect();
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

type Reply = { ok: boolean; error?: string };
const tokenOf = async (runId: string) => (await db.run.findUniqueOrThrow({ where: { id: runId } })).token;
const statusOf = async (runId: string) => (await server.api.run.get.query({ id: runId })).status;

/** A socket on /trainer with a run's token; resolves once the server accepted the handshake. */
function trainerSocket(runId: string, token: string): Promise<Socket> {
  const socket = io(`${server.url}/trainer`, { auth: { runId, token }, reconnection: false, transports: ["websocket"] });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (e) => reject(e));
  });
}
const ask = (socket: Socket, event: string, payload: unknown): Promise<Reply> => socket.timeout(30_000).emitWithAck(event, payload);
const hello = { backend: "wasm", paramCount: 1, startStep: 0 };
const points = (steps: number[]): MetricPoint[] => steps.map((step) => ({ step, key: "loss", value: 5, wallTime: 1000 + step }));

test("an old token stops at its launch's end and after resume; a second hello is refused with an alert; stop still reaches the trainer; a stale done changes nothing", async () => {
  const run = await server.api.run.create.mutate({ ...TINY, name: "channel-real", dataset, steps: 400 });
  await waitFor("the run to train", async () => (await statusOf(run.id)) === "running" && (await db.metric.count({ where: { runId: run.id } })) > 0);
  const first = await tokenOf(run.id);

  // Someone else holds the launch's token: the handshake passes, but the trainer's socket is taken.
  const intruder = await trainerSocket(run.id, first);
  let stopsToIntruder = 0;
  intruder.on(EV.runStop, () => stopsToIntruder++);
  let intruderDropped = false;
  intruder.on("disconnect", () => (intruderDropped = true));
  const second = await ask(intruder, EV.trainerHello, hello);
  assert.equal(second.ok, false);
  assert.match(second.error!, /Another trainer socket is connected/);
  const conflict = await waitFor("a trainer_conflict alert", async () =>
    (await server.api.alert.list.query({ runId: run.id })).find((a) => a.type === "trainer_conflict"));
  assert.equal(conflict.severity, "critical");
  const forged = await ask(intruder, EV.metricBatch, { seq: 10_000, points: points([1_000_000]) });
  assert.equal(forged.ok, false, "a socket that is not the run's trainer socket cannot write metrics");
  assert.equal(await db.metric.count({ where: { runId: run.id, step: 1_000_000 } }), 0);

  // Stop reaches the real trainer, which checkpoints and says it stopped.
  await server.api.run.stop.mutate({ id: run.id });
  await waitFor("stopped", async () => (await statusOf(run.id)) === "stopped");
  assert.equal(stopsToIntruder, 0, "run:stop went to the real trainer only");
  assert.ok((await server.api.checkpoint.list.query({ runId: run.id })).length > 0, "the trainer checkpointed on stop");

  // The launch has ended: its token and its sockets are done.
  await waitFor("the old launch's socket to be dropped", () => intruderDropped || intruder.disconnected, 10_000);
  await assert.rejects(trainerSocket(run.id, first), /Unknown run or wrong token/);

  await server.api.run.resume.mutate({ id: run.id });
  const next = await tokenOf(run.id);
  assert.notEqual(next, first, "each launch gets a fresh token");
  await assert.rejects(trainerSocket(run.id, first), /Unknown run or wrong token/, "the old token is refused after resume");

  // A socket of the new launch, held open while the run completes: its done afterwards is stale.
  await waitFor("the resumed run to train", async () => (await statusOf(run.id)) === "running");
  const late = await trainerSocket(run.id, next);
  await waitFor("completed", async () => (await statusOf(run.id)) === "completed", 300_000);
  const staleDone = await ask(late, EV.trainerDone, { status: "failed", step: 0, error: "forged" }).catch(() => ({ ok: false, error: "disconnected" }));
  assert.equal(staleDone.ok, false);
  const after = await server.api.run.get.query({ id: run.id });
  assert.equal(after.status, "completed", "a completed run stays completed");
  assert.equal(after.error, null);
  await assert.rejects(trainerSocket(run.id, next), /Unknown run or wrong token/, "a token stops working when its launch ends");
  intruder.close();
  late.close();
});

test("checkpoints, rollbacks and steps are checked against the run's state; refusals write nothing", async () => {
  // The test speaks for this run's trainer (a trainer on another host uses the same protocol).
  const config = RunConfig.parse({ ...TINY, name: "channel-fake", dataset });
  const token = randomBytes(24).toString("hex");
  const run = await db.run.create({ data: { name: config.name, config: JSON.stringify(config), token, totalSteps: config.steps, status: "running" } });
  const runDir = path.join(dataDir, "runs", run.id);
  const socket = await trainerSocket(run.id, token);
  assert.equal((await ask(socket, EV.trainerHello, hello)).ok, true);
  assert.equal((await ask(socket, EV.metricBatch, { seq: 0, points: points([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) })).ok, true);
  await waitFor("10 stored points", async () => (await db.metric.count({ where: { runId: run.id } })) === 10);

  const back = await ask(socket, EV.metricBatch, { seq: 1, points: points([5]) });
  assert.equal(back.ok, false);
  assert.match(back.error!, /steps only go forward/);
  const unsorted = await ask(socket, EV.metricBatch, { seq: 2, points: points([12, 11]) });
  assert.equal(unsorted.ok, false);

  const save = (step: number, file: string, bytes: Buffer, sha256 = createHash("sha256").update(bytes).digest("hex")) =>
    ask(socket, EV.checkpointSaved, { step, path: file, bytes: bytes.length, sha256 });
  const outside = path.join(dataDir, "elsewhere", "checkpoint.safetensors");
  fs.mkdirSync(path.dirname(outside), { recursive: true });
  const weights = randomBytes(4096);
  fs.writeFileSync(outside, weights);
  const refusedOutside = await save(5, outside, weights);
  assert.equal(refusedOutside.ok, false);
  assert.match(refusedOutside.error!, /inside the run's directory/);
  assert.equal((await save(5, "/etc/passwd", weights)).ok, false);

  const inside = path.join(runDir, "checkpoints", "step-000005", "checkpoint.safetensors");
  fs.mkdirSync(path.dirname(inside), { recursive: true });
  fs.writeFileSync(inside, weights);
  const wrongSha = await save(5, inside, weights, "0".repeat(64));
  assert.equal(wrongSha.ok, false);
  assert.match(wrongSha.error!, /sha256/);
  assert.equal(await db.checkpoint.count({ where: { runId: run.id } }), 0, "refused checkpoints write no row");
  assert.equal((await save(5, inside, weights)).ok, true, "the true file and hash are recorded");
  assert.equal(await db.checkpoint.count({ where: { runId: run.id } }), 1);

  const rollback = (step: number, toStep: number) =>
    ask(socket, EV.trainerRecovery, { type: "rollback", step, toStep, attempt: 1, value: 9, threshold: 6, message: "loss spiked" });
  const unrecorded = await rollback(9, 3);
  assert.equal(unrecorded.ok, false);
  assert.match(unrecorded.error!, /no recorded checkpoint/);
  const ahead = await rollback(50, 5);
  assert.equal(ahead.ok, false);
  assert.match(ahead.error!, /the run is at step 9/);
  assert.equal(await db.metric.count({ where: { runId: run.id } }), 10, "a refused rollback supersedes nothing");
  assert.equal(await db.supersededMetric.count({ where: { runId: run.id } }), 0);
  assert.equal((await rollback(9, 5)).ok, true, "a rollback to a recorded checkpoint at or before the current step is taken");
  assert.equal(await db.supersededMetric.count({ where: { runId: run.id } }), 4);
  // After the rollback the steps from the restored checkpoint on are new again.
  assert.equal((await ask(socket, EV.metricBatch, { seq: 3, points: points([5, 6]) })).ok, true);

  // Done from the active launch of an active run is taken; the run then keeps that ending.
  assert.equal((await ask(socket, EV.trainerDone, { status: "completed", step: 10 })).ok, true);
  assert.equal(await statusOf(run.id), "completed");
  await waitFor("the ended launch's socket to be dropped", () => socket.disconnected, 10_000);
  await assert.rejects(trainerSocket(run.id, token), /Unknown run or wrong token/);
  socket.close();
});

test("a trainer that reconnects says hello again on its new socket: accepted, and no conflict alert", async () => {
  const config = RunConfig.parse({ ...TINY, name: "channel-reconnect", dataset });
  const token = randomBytes(24).toString("hex");
  const run = await db.run.create({ data: { name: config.name, config: JSON.stringify(config), token, totalSteps: config.steps, status: "running" } });
  const first = await trainerSocket(run.id, token);
  assert.equal((await ask(first, EV.trainerHello, hello)).ok, true);
  const twice = await ask(first, EV.trainerHello, hello);
  assert.equal(twice.ok, false, "the same socket cannot say hello twice");
  await db.alert.deleteMany({ where: { runId: run.id } });

  first.close();
  const again = await trainerSocket(run.id, token);
  // Any other message is refused without an alert while the old socket still counts as connected.
  await waitFor("the server to see the old socket go", async () => (await ask(again, EV.checkpointList, {})).ok, 10_000);
  assert.equal((await ask(again, EV.trainerHello, hello)).ok, true);
  again.close();
  const alerts = await db.alert.findMany({ where: { runId: run.id, type: "trainer_conflict" } });
  assert.deepEqual(alerts, [], "a reconnect is not a takeover");
});
