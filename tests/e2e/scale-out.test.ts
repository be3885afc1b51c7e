import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { browserTests, SCREENSHOTS } from "../helpers/browser";
import { cleanRedis, clusterEnv, redisMissing, redisPrefix } from "../helpers/cluster";
import { prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";
import { webhookReceiver } from "../helpers/webhook-receiver";
import { alive, sleep, trainerPid } from "../helpers/trainer-proc";

const e2e = browserTests();
const noRedis = await redisMissing();
const prefix = redisPrefix("e2e-scale-out");
const dataDir = tempDataDir("e2e-scale-out");
let a: TestServer | null = null;

const receiver = webhookReceiver<{ alert: { id: number; runId: string; step: number } }>();
const received = receiver.received;

after(async () => {
  // A is killed on purpose; stop() would wait for an exit that has already happened.
  if (a && a.proc.exitCode === null && a.proc.signalCode === null) await a.stop();
  receiver.close();
  if (!noRedis) await cleanRedis(prefix);
});

/** In the page, before its scripts: when each loss point arrives on its socket, in Date.now(). */
function recordLoss() {
  const w = window as unknown as { __loss: Record<number, number>; WebSocket: typeof WebSocket };
  w.__loss = {};
  const Native = w.WebSocket;
  w.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener("message", (e) => {
        if (typeof e.data !== "string" || !e.data.startsWith('42["metric:batch"')) return;
        const [, msg] = JSON.parse(e.data.slice(2)) as [string, { points: { key: string; step: number }[] }];
        for (const p of msg.points) if (p.key === "loss") w.__loss[p.step] ??= Date.now();
      });
    }
  };
}

test("a browser on instance B watches a run trained through A, and keeps watching through A's kill -9 and B's takeover", { skip: e2e.skip || noRedis }, async () => {
  const STEPS = 1500;
  const LATE_FAULT = 1300;
  await receiver.listen();
  const env = clusterEnv(dataDir, prefix, { ENABLE_FAULT_INJECTION: "1", WEBHOOK_ALLOW_PRIVATE: "1" });
  a = await startServer(dataDir, { ...env, INSTANCE_ID: `e2eA-${process.pid}` });
  const b = await e2e.start(dataDir, { ...env, INSTANCE_ID: `e2eB-${process.pid}` });
  const dataset = await prepareSmall(a);
  await a.api.webhook.create.mutate({ runId: null, url: receiver.url("/hook"), format: "json", minSeverity: "warning" });
  const run = await a.api.run.create.mutate({
    ...TINY, dataset, name: "e2e-failover", steps: STEPS, evalInterval: 100, checkpointInterval: 200, seed: 5, evals: [],
    faults: [{ kind: "loss_scale", step: 150, factor: 8 }, { kind: "loss_scale", step: LATE_FAULT, factor: 8 }],
    anomaly: { throughputPatience: 10_000 },
  });

  const browser = await e2e.browser();
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.addInitScript(recordLoss);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(`${b.url}/runs/${run.id}`);
  const chart = page.locator('[data-testid="chart-loss"]');
  const points = async () => Number(await chart.getAttribute("data-points"));
  const heard = () => page.evaluate(() => (window as unknown as { __loss: Record<number, number> }).__loss);

  const pid = await waitFor("the trainer", () => trainerPid(run.id), 60_000);
  await waitFor("points on B's chart", points, 120_000);
  const early = await waitFor("the first spike's alert", async () => (await a!.api.alert.list.query({ runId: run.id })).find((x) => x.type === "loss_spike"), 120_000);
  await waitFor("its webhook delivery", () => received.some((r) => r.alert.id === early.id), 20_000);
  const atKill = (await a.api.run.get.query({ id: run.id })).step;
  assert.ok(atKill < LATE_FAULT - 200, `the run is at step ${atKill}, too close to the late fault`);
  const chartAtKill = await points();
  await page.screenshot({ path: path.join(SCREENSHOTS, "scale-out-before-kill.png"), fullPage: true });

  const killedAt = Date.now();
  a.proc.kill("SIGKILL");
  await new Promise((r) => a!.proc.once("exit", r));
  assert.ok(alive(pid), "the trainer outlives its instance");
  await waitFor("B's takeover", () => b.output().includes(`took over run ${run.id}`), 60_000);
  const tookAt = Date.now();
  const resumedAt = await waitFor("live points on B's page after the takeover", async () => Object.values(await heard()).find((at) => at > tookAt) ?? 0, 60_000);
  const final = await waitFor("the run to end", async () => {
    const r = await b.api.run.get.query({ id: run.id });
    return ["completed", "failed", "crashed", "stopped"].includes(r.status) ? r : null;
  }, 300_000);
  await waitFor("the chart to show every step", async () => (await points()) >= STEPS, 30_000).catch(() => {});
  await waitFor("the late spike's delivery", () => received.some((r) => r.alert.runId === run.id && r.alert.step === LATE_FAULT), 20_000).catch(() => {});
  await sleep(2000); // a second POST of anything would come within this
  await page.screenshot({ path: path.join(SCREENSHOTS, "scale-out-after-takeover.png"), fullPage: true });

  const history = await b.api.metric.history.query({ runId: run.id, keys: ["loss"], maxPoints: 10_000_000 });
  const stored = history.loss.map((p) => p.step);
  const alerts = await b.api.alert.list.query({ runId: run.id });
  const spikes = alerts.filter((x) => x.type === "loss_spike").map((x) => x.step).sort((x, y) => x - y);
  const deliveries = (await b.api.webhook.deliveries.query({ limit: 500 })).filter((d) => d.alert.runId === run.id);
  const posts = received.filter((r) => r.alert.runId === run.id).map((r) => r.alert.id);
  const live = await heard();
  const firstLive = Math.min(...Object.keys(live).map(Number));
  const liveMissing = Array.from({ length: STEPS - firstLive }, (_, i) => firstLive + i).filter((s) => live[s] === undefined);
  const markers = Number(await chart.getAttribute("data-markers"));
  console.log(
    `e2e scale-out: A killed at step ${atKill}; B took over ${((tookAt - killedAt) / 1000).toFixed(1)} s after, its page heard new points ${((resumedAt - killedAt) / 1000).toFixed(1)} s after; ` +
      `run ${final.status}; loss stored at ${new Set(stored).size}/${STEPS} steps (${stored.length} rows); the page heard steps ${firstLive}–${STEPS - 1} live with ${liveMissing.length} missing, ` +
      `chart ${chartAtKill} → ${await points()} points, ${markers} alert markers; spikes alerted at ${spikes.join(", ")}; ${deliveries.length} deliveries, ${posts.length} POSTs`,
  );
  assert.equal(final.status, "completed", final.error ?? "");
  assert.equal(final.restarts, 0);
  assert.deepEqual(stored, Array.from({ length: STEPS }, (_, s) => s), "every step stored once");
  assert.deepEqual(spikes, [150, LATE_FAULT], "one alert per planted spike");
  assert.deepEqual(deliveries.map((d) => d.alertId).sort(), alerts.filter((x) => x.severity !== "info" && !x.muted).map((x) => x.id).sort(), "one delivery per alert");
  assert.equal(new Set(posts).size, posts.length, "no alert POSTed twice");
  assert.deepEqual(posts.sort(), deliveries.filter((d) => d.status === "delivered").map((d) => d.alertId).sort());
  assert.deepEqual(liveMissing, [], "the page on B heard every step live from its first, through the kill");
  assert.ok((await points()) > chartAtKill, "B's chart kept growing after the kill");
  assert.ok(markers >= 2, `both spikes are marked on B's chart (${markers})`);
  assert.deepEqual(pageErrors, []);
  fs.rmSync(dataDir, { recursive: true, force: true });
});
