import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { EV, type MetricPoint } from "../../lib/protocol";
import type { AlertRow } from "../../server/services/hub/alert-row";
import { browserSocket, prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";

let server: TestServer;
let dataset: string;
const dataDir = tempDataDir("alerts");

/** A webhook receiver: records every JSON body it is sent. */
const received: { alert: { type: string; runId: string; step: number } }[] = [];
const receiver = http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    received.push(JSON.parse(body));
    res.writeHead(200).end("ok");
  });
});

before(async () => {
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  // These runs plant faults on purpose, and the receiver listens on loopback.
  server = await startServer(dataDir, { ENABLE_FAULT_INJECTION: "1", WEBHOOK_ALLOW_PRIVATE: "1" });
  dataset = await prepareSmall(server);
  const port = (receiver.address() as AddressInfo).port;
  await server.api.webhook.create.mutate({ runId: null, url: `http://127.0.0.1:${port}/hook`, format: "json", minSeverity: "warning" });
});
after(async () => {
  await server?.stop();
  receiver.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const alertsOf = async (runId: string) => (await server.api.alert.list.query({ runId })).reverse();
const typesOf = (alerts: AlertRow[]) => alerts.map((a) => a.type);
const finished = (runId: string) => async () => {
  const run = await server.api.run.get.query({ id: runId });
  return ["completed", "failed", "stopped"].includes(run.status) ? run : null;
};

test("a normal run of several hundred steps raises no alert", async () => {
  const run = await server.api.run.create.mutate({ ...TINY, name: "normal", dataset, steps: 600 });
  const done = await waitFor("the normal run", finished(run.id), 300_000);
  assert.equal(done.status, "completed");
  const alerts = await alertsOf(run.id);
  console.log(`alerts over ${done.step} fault-free steps: ${alerts.length} (${alerts.map((a) => a.type).join(", ") || "none"})`);
  // A throughput drop is real when other jobs take this shared machine's two cores; the detector's
  // own false-alarm rate is measured on recorded runs (tests/unit/anomaly-detectors.test.ts).
  assert.deepEqual(alerts.filter((a) => a.type !== "throughput_drop").map((a) => a.message), []);
});

test("planted faults each raise their alert live, recovery acts, the crash restarts, and webhooks receive them", async () => {
  const socket = await browserSocket(server.url);
  socket.emit(EV.alertsSubscribe);
  const pushed: { alert: AlertRow; at: number }[] = [];
  socket.on(EV.alertNew, (alert: AlertRow) => pushed.push({ alert, at: Date.now() }));
  const spikeSeen: { wallTime?: number } = {};
  socket.on(EV.metricBatch, ({ points }: { points: MetricPoint[] }) => {
    const p = points.find((q) => q.key === "loss" && q.step === 150);
    if (p) spikeSeen.wallTime ??= p.wallTime;
  });

  const run = await server.api.run.create.mutate({
    ...TINY, name: "faults", dataset, steps: 400, checkpointInterval: 50, recovery: "skip-step", restartOnCrash: true, maxRestarts: 2,
    // The TINY model's steps take milliseconds, so the server's own work on each alert (and anything
    // else on the 2 cores) halves its tokens/s for a few steps: real, but not what this test plants.
    anomaly: { stallSeconds: 5, throughputPatience: 10_000 },
    faults: [
      { kind: "loss_scale", step: 150, factor: 8 },
      { kind: "grad_scale", step: 200, factor: 1e4 },
      { kind: "nan", step: 250 },
      { kind: "sleep", step: 280, seconds: 8 },
      { kind: "exit", step: 320, code: 3 },
    ],
  });
  socket.emit(EV.runSubscribe, run.id);
  const done = await waitFor("the faulty run", finished(run.id), 300_000);
  assert.equal(done.status, "completed", done.error ?? "");
  assert.equal(done.restarts, 1);

  const alerts = await alertsOf(run.id);
  const find = (type: string) => alerts.find((a) => a.type === type) ?? assert.fail(`no ${type} alert among ${typesOf(alerts)}`);
  assert.equal(find("loss_spike").step, 150);
  assert.ok(find("loss_spike").value! > find("loss_spike").threshold!);
  assert.deepEqual(alerts.filter((a) => a.type === "skip_step").map((a) => a.step), [150, 250]);
  assert.equal(find("grad_explosion").step, 200);
  assert.equal(find("nan").step, 250);
  assert.equal(find("nan").severity, "critical");
  assert.ok(Math.abs(find("stall").step - 280) <= 1, `stall at ${find("stall").step}`);
  assert.match(find("crash").message, /code 3/);
  assert.match(find("crash").message, /Restarting from the last checkpoint \(1 of 2\)/);
  assert.equal(find("restart").severity, "info");
  for (const a of alerts) assert.ok(["loss_spike", "skip_step", "grad_explosion", "nan", "stall", "crash", "restart"].includes(a.type), `unexpected ${a.type}: ${a.message}`);

  // Every stored alert was pushed to the alerts room.
  await waitFor("all alerts pushed", () => pushed.length >= alerts.length, 5000);
  const spike = pushed.find((p) => p.alert.type === "loss_spike")!;
  console.log(`detection latency, spike step's wall time → alert pushed to a browser socket: ${spike.at - spikeSeen.wallTime! * 1000} ms`);
  socket.close();

  // Webhooks got the warnings and criticals of this run (info actions are below the hook's minimum).
  await waitFor("webhook deliveries", () => ["loss_spike", "nan", "stall", "crash"].every((t) => received.some((b) => b.alert.runId === run.id && b.alert.type === t)), 20_000);
  assert.ok(!received.some((b) => b.alert.runId === run.id && b.alert.type === "skip_step"));
});

test("rollback supersedes the metrics of the undone steps and replays them", async () => {
  const socket = await browserSocket(server.url);
  const rollbacks: { toStep: number }[] = [];
  socket.on(EV.runRollback, (r: { toStep: number }) => rollbacks.push(r));
  const run = await server.api.run.create.mutate({
    ...TINY, name: "rollback", dataset, steps: 200, checkpointInterval: 50, recovery: "rollback", rollbackSkipBatches: 10,
    faults: [{ kind: "loss_scale", step: 130, factor: 8 }],
  });
  socket.emit(EV.runSubscribe, run.id);
  const done = await waitFor("the rollback run", finished(run.id), 300_000);
  assert.equal(done.status, "completed", done.error ?? "");
  socket.close();

  assert.deepEqual(rollbacks, [{ runId: run.id, toStep: 100 }]);
  const alerts = await alertsOf(run.id);
  const rollback = alerts.find((a) => a.type === "rollback") ?? assert.fail(`no rollback among ${typesOf(alerts)}`);
  assert.equal(rollback.step, 130);
  assert.match(rollback.message, /restored the checkpoint at step 100 and skipped 41 data batches/);

  const superseded = await server.api.alert.superseded.query({ runId: run.id });
  assert.deepEqual(superseded.loss.map((p) => p.step), Array.from({ length: 30 }, (_, i) => 101 + i));
  const history = await server.api.metric.history.query({ runId: run.id, keys: ["loss"], maxPoints: 10_000 });
  assert.deepEqual(history.loss.map((p) => p.step), Array.from({ length: 200 }, (_, i) => i), "every step once in the live series");
  const spiked = superseded.loss.find((p) => p.step === 130)!.value!;
  const replayed = history.loss.find((p) => p.step === 130)!.value!;
  assert.ok(spiked > 3 * replayed, `superseded ${spiked} vs replayed ${replayed}`);
});

test("kill -9 of a trainer raises a crash alert; the restart policy resumes it, or the run stays crashed", async () => {
  const trainerPid = (runId: string) => {
    try {
      return Number(execFileSync("pgrep", ["-f", "--", `--run-id ${runId}`]).toString().trim().split("\n")[0]);
    } catch {
      return 0;
    }
  };
  const start = (name: string, restartOnCrash: boolean) =>
    server.api.run.create.mutate({ ...TINY, name, dataset, steps: 5000, checkpointInterval: 50, restartOnCrash, maxRestarts: 1 });
  const restarted = await start("kill-restart", true);
  const stays = await start("kill-stays", false);
  for (const run of [restarted, stays]) {
    await waitFor(`${run.name} past a checkpoint`, async () => (await server.api.checkpoint.list.query({ runId: run.id })).length > 0, 120_000);
    process.kill(await waitFor("trainer pid", () => trainerPid(run.id)), "SIGKILL");
  }

  const crashOf = async (runId: string) => (await alertsOf(runId)).find((a) => a.type === "crash");
  const crash = await waitFor("crash alert", () => crashOf(restarted.id), 30_000);
  assert.match(crash.message, /SIGKILL/);
  await waitFor("restart", async () => {
    const run = await server.api.run.get.query({ id: restarted.id });
    return run.status === "running" && run.restarts === 1;
  }, 60_000);
  assert.ok(typesOf(await alertsOf(restarted.id)).includes("restart"));

  const stayed = await waitFor("crash alert", () => crashOf(stays.id), 30_000);
  assert.match(stayed.message, /SIGKILL/);
  const crashed = await server.api.run.get.query({ id: stays.id });
  assert.equal(crashed.status, "crashed");
  assert.equal(crashed.restarts, 0);
  assert.ok(!typesOf(await alertsOf(stays.id)).includes("restart"));
  await server.api.run.stop.mutate({ id: restarted.id });
});

test("a muted alert type is stored as muted, stays out of the badge count, and acknowledging clears the count", async () => {
  const run = await server.api.run.create.mutate({ ...TINY, name: "muted", dataset, steps: 250, faults: [{ kind: "loss_scale", step: 150, factor: 8 }, { kind: "nan", step: 200 }] });
  await server.api.alert.mute.mutate({ runId: run.id, type: "loss_spike", minutes: 60 });
  await server.api.alert.acknowledge.mutate({ runId: null });
  await waitFor("the muted run", finished(run.id), 120_000);
  const alerts = await alertsOf(run.id);
  const spike = alerts.find((a) => a.type === "loss_spike") ?? assert.fail(`no spike among ${typesOf(alerts)}`);
  assert.equal(spike.muted, true);
  assert.equal(alerts.find((a) => a.type === "nan")?.muted, false);
  const counts = await server.api.alert.unacknowledged.query();
  assert.equal(counts.count, alerts.filter((a) => !a.muted && a.severity !== "info").length);
  await server.api.alert.acknowledge.mutate({ runId: run.id });
  assert.equal((await server.api.alert.unacknowledged.query()).count, 0);
  await assert.rejects(server.api.alert.mute.mutate({ runId: run.id, type: "bogus" as never, minutes: 5 }), /One of: loss_spike/);
});
