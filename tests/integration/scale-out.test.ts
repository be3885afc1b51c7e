import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import type { Socket } from "socket.io-client";
import { EV, type MetricPoint } from "../../lib/protocol";
import type { AlertRow } from "../../server/services/hub/alert-row";
import { cleanRedis, clusterEnv, killRedisClients, RedisRelay, redisMissing, redisPrefix, startInstances } from "../helpers/cluster";
import { browserSocket, prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";
import { alive, loggedSteps, sleep, trainerPid } from "../helpers/trainer-proc";
import { webhookReceiver } from "../helpers/webhook-receiver";

const skip = await redisMissing();
const prefix = redisPrefix("scale-out");
const dataDir = tempDataDir("scale-out");
let servers: TestServer[] = [];
let dataset = "";
const sockets: Socket[] = [];

const receiver = webhookReceiver<{ alert: { id: number; type: string; runId: string; step: number } }>();
const received = receiver.received;

before(async () => {
  if (skip) return;
  await receiver.listen();
  servers = await startInstances(2, clusterEnv(dataDir, prefix, { ENABLE_FAULT_INJECTION: "1", WEBHOOK_ALLOW_PRIVATE: "1" }), "so");
  dataset = await prepareSmall(servers[0]);
  await servers[0].api.webhook.create.mutate({ runId: null, url: receiver.url("/hook"), format: "json", minSeverity: "warning" });
});
after(async () => {
  for (const s of sockets) s.close();
  // One was killed on purpose; stop() waits for an exit that has already happened.
  for (const s of servers) if (s.proc.exitCode === null && s.proc.signalCode === null) await s.stop();
  receiver.close();
  if (!skip) await cleanRedis(prefix);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const ENDED = ["completed", "failed", "crashed", "stopped"];
const ended = (server: TestServer, id: string) => async () => {
  const run = await server.api.run.get.query({ id });
  return ENDED.includes(run.status) ? run : null;
};

/** A browser-like socket on an instance that hears a run's room and every alert. */
async function watcher(server: TestServer) {
  const socket = await browserSocket(server.url);
  sockets.push(socket);
  const loss: { step: number; at: number }[] = [];
  const alerts: AlertRow[] = [];
  const statuses: string[] = [];
  socket.on(EV.metricBatch, ({ points }: { points: MetricPoint[] }) => {
    for (const p of points) if (p.key === "loss") loss.push({ step: p.step, at: Date.now() });
  });
  socket.on(EV.alertNew, (a: AlertRow) => alerts.push(a));
  socket.on(EV.runStatus, (r: { status: string }) => statuses.push(r.status));
  socket.emit(EV.alertsSubscribe);
  return { socket, loss, alerts, statuses, follow: (runId: string) => socket.emit(EV.runSubscribe, runId) };
}

/** Every stored point of the run: each per-step key must have each step exactly once. */
async function storedSeries(server: TestServer, runId: string, steps: number) {
  const history = await server.api.metric.history.query({ runId, maxPoints: 10_000_000 });
  const perStep = Object.keys(history).filter((k) => !k.startsWith("val_"));
  let missing = 0;
  let doubled = 0;
  for (const key of perStep) {
    const counts = new Map<number, number>();
    for (const p of history[key]) counts.set(p.step, (counts.get(p.step) ?? 0) + 1);
    for (const s of loggedSteps(key, steps)) if (!counts.has(s)) missing++;
    doubled += [...counts.values()].filter((c) => c > 1).length;
  }
  return { perStep, missing, doubled, points: perStep.reduce((n, k) => n + history[k].length, 0) };
}

test("kill -9 of the instance that owns a run: the other takes its lease, adopts the trainer, and the run completes with every metric once and every alert once", { skip }, async () => {
  const [a, b] = servers;
  const STEPS = 1500;
  const LATE_FAULT = 1300;
  const onB = await watcher(b);
  const run = await a.api.run.create.mutate({
    ...TINY, dataset, name: "failover", steps: STEPS, evalInterval: 100, checkpointInterval: 200, seed: 5, evals: [],
    // Two planted spikes: one seen by A before the kill, one after it, seen only by B.
    faults: [{ kind: "loss_scale", step: 150, factor: 8 }, { kind: "loss_scale", step: LATE_FAULT, factor: 8 }],
    // Two servers and a trainer share two cores: throughput dips are real here, and not what is tested.
    anomaly: { throughputPatience: 10_000 },
  });
  onB.follow(run.id);
  const pid = await waitFor("the trainer", () => trainerPid(run.id), 60_000);
  const early = await waitFor("the first spike's alert", async () => (await a.api.alert.list.query({ runId: run.id })).find((x) => x.type === "loss_spike"), 120_000);
  await waitFor("its webhook delivery", () => received.some((r) => r.alert.id === early.id), 20_000);
  const atKill = (await a.api.run.get.query({ id: run.id })).step;
  assert.ok(atKill < LATE_FAULT - 200, `the run is at step ${atKill}, too close to the late fault for the test to mean anything`);

  const liveBefore = onB.loss.length;
  const killedAt = Date.now();
  a.proc.kill("SIGKILL");
  await new Promise((r) => a.proc.once("exit", r));
  assert.ok(alive(pid), "the trainer outlives its instance");

  const took = await waitFor("B's takeover", () => b.output().match(new RegExp(`took over run ${run.id} in (\\d+) ms`)), 60_000);
  const tookAt = Date.now();
  const resumed = await waitFor("live points through B", () => onB.loss.slice(liveBefore).find((p) => p.at > tookAt) ?? null, 60_000);
  const final = await waitFor("the run to end", ended(b, run.id), 300_000);

  const series = await storedSeries(b, run.id, STEPS);
  const alerts = await b.api.alert.list.query({ runId: run.id });
  const spikes = alerts.filter((x) => x.type === "loss_spike").map((x) => x.step).sort((x, y) => x - y);
  const sameFinding = alerts.length - new Set(alerts.map((x) => `${x.type}@${x.step}`)).size;
  // Every POST, and any second one, arrives within this.
  await waitFor("the late spike's delivery", () => received.some((r) => r.alert.runId === run.id && r.alert.step >= LATE_FAULT), 20_000).catch(() => {});
  await sleep(2000);
  const posts = received.filter((r) => r.alert.runId === run.id);
  const postsPerAlert = new Map<number, number>();
  for (const p of posts) postsPerAlert.set(p.alert.id, (postsPerAlert.get(p.alert.id) ?? 0) + 1);
  const liveSteps = new Set(onB.loss.map((p) => p.step));
  const liveMissing = Array.from({ length: STEPS }, (_, s) => s).filter((s) => !liveSteps.has(s));
  const trainerLog = fs.readFileSync(path.join(dataDir, "runs", run.id, "trainer.log"), "utf8");

  console.log(
    `scale-out failover: killed A at step ${atKill}; B took the lease ${((tookAt - killedAt) / 1000).toFixed(1)} s after the kill ` +
      `(its takeover itself ${took[1]} ms), live points through B ${((resumed.at - killedAt) / 1000).toFixed(1)} s after; run ${final.status} at step ${final.step}, restarts ${final.restarts}`,
  );
  console.log(
    `scale-out failover: stored ${series.points} points of ${series.perStep.length} per-step keys, missing ${series.missing}, doubled ${series.doubled}; ` +
      `loss_spike alerts at ${spikes.join(", ")}; ${alerts.length} alerts (${alerts.map((x) => `${x.type}@${x.step}`).join(", ")}), ${sameFinding} repeated; ` +
      `${posts.length} webhook POSTs for ${postsPerAlert.size} alerts (one per alert and type within the dedup window); B's socket heard ${liveSteps.size}/${STEPS} loss steps live`,
  );
  assert.equal(final.status, "completed", final.error ?? "");
  assert.equal(final.restarts, 0, "the same trainer finished the run");
  assert.match(trainerLog, new RegExp(`reconnected to the server at ${b.url.replace(/[.]/g, "\\.")}`));
  assert.ok(series.perStep.includes("loss"));
  assert.equal(series.missing, 0);
  assert.equal(series.doubled, 0);
  assert.deepEqual(spikes, [150, LATE_FAULT], "one alert per planted spike");
  assert.equal(sameFinding, 0, "no finding stored twice");
  // One delivery row per alert and webhook; a repeat of a type within the dedup window is recorded, not POSTed.
  const deliveries = (await b.api.webhook.deliveries.query({ limit: 500 })).filter((d) => d.alert.runId === run.id);
  const sent = alerts.filter((x) => x.severity !== "info" && !x.muted);
  assert.deepEqual(deliveries.map((d) => d.alertId).sort(), sent.map((x) => x.id).sort(), "one delivery per warning or critical alert");
  const delivered = deliveries.filter((d) => d.status === "delivered").map((d) => d.alertId).sort();
  assert.deepEqual([...postsPerAlert.keys()].sort(), delivered, "a POST for each delivered one");
  assert.deepEqual([...postsPerAlert.values()].filter((n) => n > 1), [], "no alert POSTed twice");
  assert.deepEqual(liveMissing, [], "B's socket heard every step live, before and after the kill");
  assert.ok(onB.alerts.some((x) => x.runId === run.id && x.step === LATE_FAULT), "B's socket heard the late alert");
  assert.ok(onB.statuses.includes("completed"));
});

test("a Redis blip (every connection of both instances killed) loses no live event", { skip }, async () => {
  const [b] = servers.slice(1);
  // A second instance again, in place of the one killed above.
  const [c] = await startInstances(1, clusterEnv(dataDir, prefix, { ENABLE_FAULT_INJECTION: "1", WEBHOOK_ALLOW_PRIVATE: "1" }), "blip");
  servers.push(c);
  const STEPS = 800;
  const onB = await watcher(b);
  const run = await c.api.run.create.mutate({ ...TINY, dataset, name: "blip", steps: STEPS, evalInterval: 100, evals: [], anomaly: { throughputPatience: 10_000 } });
  onB.follow(run.id);
  await waitFor("points through the stream", () => onB.loss.length > 50, 120_000);
  const killed = [];
  for (let i = 0; i < 3; i++) {
    killed.push(await killRedisClients(prefix));
    await sleep(700);
  }
  const final = await waitFor("the run to end", ended(c, run.id), 300_000);
  await waitFor("the completed status on B", () => onB.statuses.includes("completed"), 30_000);
  const steps = new Set(onB.loss.map((p) => p.step));
  const missing = Array.from({ length: STEPS }, (_, s) => s).filter((s) => !steps.has(s));
  const first = Math.min(...steps);
  console.log(`redis blip: killed ${killed.join(" + ")} connections; B heard ${steps.size}/${STEPS} loss steps of a run on another instance (first ${first}), missing ${missing.length}`);
  assert.equal(final.status, "completed", final.error ?? "");
  assert.ok(killed[0] >= 4, `both instances' connections were found and killed (${killed[0]})`);
  assert.match(b.output(), /redis \(live events\): lost/);
  assert.match(b.output(), /redis \(live events\): reconnected/);
  assert.deepEqual(missing.filter((s) => s >= first), [], "no step missing after the first one heard");
  assert.ok(first < 50, `B heard the run from its start (first step ${first})`);
});

test("SIGTERM of an instance while a peer lives hands its runs over: the trainer goes on under the peer, every step once", { skip }, async () => {
  const [b, c] = [servers[1], servers[2]];
  assert.ok(c, "the instance started by the blip test");
  const STEPS = 900;
  const run = await c.api.run.create.mutate({ ...TINY, dataset, name: "handover", steps: STEPS, evalInterval: 100, evals: [], anomaly: { throughputPatience: 10_000 } });
  await waitFor("training on C", async () => (await c.api.run.get.query({ id: run.id })).step > 100, 120_000);
  const pid = trainerPid(run.id);
  const stoppedAt = Date.now();
  assert.equal(await c.stop(), 0);
  assert.match(c.output(), /handed 1 runs over to its peers/);
  assert.ok(pid && alive(pid), "the trainer was left running");
  await waitFor("B's takeover", () => b.output().includes(`took over run ${run.id}`), 30_000);
  const tookS = (Date.now() - stoppedAt) / 1000;
  const final = await waitFor("the run to end", ended(b, run.id), 300_000);
  const series = await storedSeries(b, run.id, STEPS);
  console.log(`handover: B took the run ${tookS.toFixed(1)} s after C was asked to stop; run ${final.status}, restarts ${final.restarts}; missing ${series.missing}, doubled ${series.doubled}`);
  assert.equal(final.status, "completed", final.error ?? "");
  assert.equal(final.restarts, 0);
  assert.equal(series.missing, 0);
  assert.equal(series.doubled, 0);
});

test("Redis down at start, then up, then down mid-run: the instance starts, says so each time, and its own browsers miss nothing", { skip }, async () => {
  const relay = new RedisRelay(await RedisRelay.freePort());
  const ownDir = tempDataDir("scale-out-relay");
  const ownPrefix = redisPrefix("relay");
  const d = await startServer(ownDir, clusterEnv(ownDir, ownPrefix, { REDIS_URL: relay.url }));
  servers.push(d);
  try {
    assert.match(d.output(), /redis \(live events\): cannot reach redis:\/\/127\.0\.0\.1:\d+\/? \(ECONNREFUSED\)/);
    const ownDataset = await prepareSmall(d);
    const STEPS = 700;
    const onD = await watcher(d);
    const run = await d.api.run.create.mutate({ ...TINY, dataset: ownDataset, name: "redis-away", steps: STEPS, evalInterval: 100, evals: [], anomaly: { throughputPatience: 10_000 } });
    onD.follow(run.id);
    await waitFor("live points with Redis down", () => onD.loss.length > 100, 120_000);
    await relay.up();
    await waitFor("the instance to reach Redis", () => /redis \(live events\): reconnected/.test(d.output()), 30_000);
    const heardWhileUp = onD.loss.length;
    await waitFor("more live points with Redis up", () => onD.loss.length > heardWhileUp + 50, 60_000);
    await relay.down();
    await waitFor("the instance to notice", () => /redis \(live events\): lost/.test(d.output()), 30_000);
    const final = await waitFor("the run to end", ended(d, run.id), 300_000);
    await waitFor("the completed status", () => onD.statuses.includes("completed"), 30_000);
    const steps = new Set(onD.loss.map((p) => p.step));
    const missing = Array.from({ length: STEPS }, (_, i) => i).filter((i) => !steps.has(i));
    console.log(`redis away: ${steps.size}/${STEPS} loss steps heard live on the instance itself across down → up → down; run ${final.status}`);
    assert.equal(final.status, "completed", final.error ?? "");
    assert.deepEqual(missing, []);
    assert.equal(d.proc.exitCode, null, "the server is still up");
    assert.ok((await d.api.run.list.query()).some((r) => r.id === run.id), "and answers");
  } finally {
    await relay.down();
    await cleanRedis(ownPrefix);
  }
});
