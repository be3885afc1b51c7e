// Attack probe for the /trainer channel: runs each attack once against a real server and prints what it did (no assertions).
// `npx tsx --test bench/trainer-channel-probe.ts`; the figures before and after the channel checks are in docs/security-channel.md.
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { io, type Socket } from "socket.io-client";
import { EV, type MetricPoint } from "../lib/protocol";
import { RunConfig } from "../lib/run-config";
import { openDb, type Db } from "../server/db/db";
import { loadEnv } from "../server/env";
import { prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../tests/helpers/server";

const dataDir = tempDataDir("probe");
let server: TestServer; let dataset: string; let db: Db;
before(async () => { server = await startServer(dataDir); db = openDb(loadEnv({ DATA_DIR: dataDir })); dataset = await prepareSmall(server); });
after(async () => { await db?.$disconnect(); await server?.stop(); fs.rmSync(dataDir, { recursive: true, force: true }); });
const sock = (runId: string, token: string): Promise<Socket> => new Promise((res, rej) => {
  const s = io(`${server.url}/trainer`, { auth: { runId, token }, reconnection: false, transports: ["websocket"] });
  s.once("connect", () => res(s)); s.once("connect_error", rej);
});
const ask = (s: Socket, e: string, p: unknown) => (s.timeout(20_000).emitWithAck(e, p) as Promise<{ ok: boolean; error?: string }>).catch(() => ({ ok: false, error: "no reply" }));
const pts = (steps: number[]): MetricPoint[] => steps.map((step) => ({ step, key: "loss", value: 5, wallTime: 1000 + step }));
const out: string[] = [];
const row = (k: string, v: unknown) => out.push(`${k}: ${JSON.stringify(v)}`);
const status = async (id: string) => (await server.api.run.get.query({ id })).status;

test("probe", async () => {
  const run = await server.api.run.create.mutate({ ...TINY, name: "probe", dataset, steps: 100_000 });
  await waitFor("running", async () => (await status(run.id)) === "running" && (await db.metric.count({ where: { runId: run.id } })) > 0);
  const t1 = (await db.run.findUniqueOrThrow({ where: { id: run.id } })).token;
  const intruder = await sock(run.id, t1);
  let stops = 0; intruder.on(EV.runStop, () => stops++);
  row("second hello accepted", (await ask(intruder, EV.trainerHello, { backend: "x", paramCount: 1, startStep: 0 })).ok);
  await new Promise((r) => setTimeout(r, 500));
  row("trainer_conflict alerts", (await server.api.alert.list.query({ runId: run.id })).filter((a) => a.type === "trainer_conflict").length);
  await server.api.run.stop.mutate({ id: run.id });
  const stopped = await waitFor("ended", async () => { const s = await status(run.id); return s !== "stopping" && s !== "running" ? s : null; }, 60_000).catch(() => "still stopping after 60 s");
  row("run.stop: status", stopped); row("run:stop delivered to the intruder", stops);
  if (stopped !== "stopped") await waitFor("ended", async () => !["stopping", "running"].includes(await status(run.id)), 120_000);
  await server.api.run.resume.mutate({ id: run.id });
  await new Promise((r) => setTimeout(r, 1000));
  row("old-token socket still connected after resume", intruder.connected);
  row("old-token socket's metric batch at step 999999 accepted after resume", (await ask(intruder, EV.metricBatch, { seq: 99, points: pts([999_999]) })).ok);
  row("old token opens a new socket after resume", await sock(run.id, t1).then((s) => (s.close(), true), () => false));
  intruder.close();
  await server.api.run.stop.mutate({ id: run.id }).catch(() => {});
  const short = await server.api.run.create.mutate({ ...TINY, name: "probe-short", dataset, steps: 60 });
  await waitFor("running", async () => (await status(short.id)) === "running");
  const t2 = (await db.run.findUniqueOrThrow({ where: { id: short.id } })).token;
  const held = await sock(short.id, t2);
  await waitFor("completed", async () => (await status(short.id)) === "completed", 300_000);
  row("socket of a completed run's launch still connected", held.connected);
  if (held.connected) await ask(held, EV.trainerDone, { status: "failed", step: 0, error: "forged" });
  held.close();
  const late = await sock(short.id, t2).catch(() => null);
  row("token of a completed run opens a socket", late !== null);
  if (late) { await ask(late, EV.trainerDone, { status: "failed", step: 0, error: "forged" }); late.close(); }
  row("completed run after a forged done", await status(short.id));

  const config = RunConfig.parse({ ...TINY, name: "probe-fake", dataset });
  const token = randomBytes(24).toString("hex");
  const fake = await db.run.create({ data: { name: config.name, config: JSON.stringify(config), token, totalSteps: config.steps, status: "running" } });
  const s = await sock(fake.id, token);
  await ask(s, EV.trainerHello, { backend: "x", paramCount: 1, startStep: 0 });
  await ask(s, EV.metricBatch, { seq: 0, points: pts([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) });
  row("backwards batch accepted", (await ask(s, EV.metricBatch, { seq: 1, points: pts([5]) })).ok);
  const w = randomBytes(4096); const sha = createHash("sha256").update(w).digest("hex");
  const outside = path.join(dataDir, "elsewhere.bin"); fs.writeFileSync(outside, w);
  row("checkpoint outside the run dir accepted", (await ask(s, EV.checkpointSaved, { step: 5, path: outside, bytes: w.length, sha256: sha })).ok);
  row("checkpoint /etc/passwd accepted", (await ask(s, EV.checkpointSaved, { step: 6, path: "/etc/passwd", bytes: 1, sha256: sha })).ok);
  const inside = path.join(dataDir, "runs", fake.id, "checkpoints", "step-000007", "checkpoint.safetensors");
  fs.mkdirSync(path.dirname(inside), { recursive: true }); fs.writeFileSync(inside, w);
  row("checkpoint with a wrong sha256 accepted", (await ask(s, EV.checkpointSaved, { step: 7, path: inside, bytes: w.length, sha256: "0".repeat(64) })).ok);
  row("checkpoint rows written by the three", await db.checkpoint.count({ where: { runId: fake.id } }));
  await new Promise((r) => setTimeout(r, 300));
  const before = await db.metric.count({ where: { runId: fake.id } });
  row("rollback to unrecorded step 0 accepted", (await ask(s, EV.trainerRecovery, { type: "rollback", step: 9, toStep: 0, attempt: 1, value: 1, threshold: 1, message: "x" })).ok);
  row("rollback from step 500 (past the current step) accepted", (await ask(s, EV.trainerRecovery, { type: "rollback", step: 500, toStep: 2, attempt: 1, value: 1, threshold: 1, message: "x" })).ok);
  row("rows superseded by the two fake rollbacks", before - (await db.metric.count({ where: { runId: fake.id } })));
  s.close();
  console.log(`PROBE\n${out.join("\n")}`);
});
