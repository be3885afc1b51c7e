import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { RunConfig } from "../../lib/run-config";
import { migrate, openDb, type Db } from "../../server/db/db";
import { loadEnv } from "../../server/env";
import { AlertService } from "../../server/services/alerts/alerts";
import { WebhookService } from "../../server/services/alerts/webhooks";
import { Hub } from "../../server/services/hub/hub";
import { Leases } from "../../server/services/runs/leases";
import { tempDataDir, waitFor } from "../helpers/server";
import { sleep } from "../helpers/trainer-proc";

// Several "instances" here are several services on one database, as separate server processes
// would be. For PostgreSQL, give loadEnv its DATABASE_URL: each instance then has its own
// connection, and the races are real races. SQLite connections of one process cannot wait for each
// other (better-sqlite3 blocks the thread that holds the lock), so there they share one.
const dataDir = tempDataDir("leases");
const env = loadEnv({ DATA_DIR: dataDir });
const clients: Db[] = [];
const connect = () => {
  if (clients.length > 0 && env.databaseUrl.startsWith("file:")) return clients[0];
  const db = openDb(env);
  clients.push(db);
  return db;
};

const posts: { alert: { id: number } }[] = [];
const receiver = http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    posts.push(JSON.parse(body));
    res.writeHead(200).end("ok");
  });
});
let hookUrl = "";

before(async () => {
  await migrate(env);
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
after(async () => {
  for (const db of clients) await db.$disconnect();
  receiver.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function newRun(db: Db, status = "running") {
  const config = RunConfig.parse({ name: "lease-test", steps: 100 });
  return db.run.create({ data: { name: config.name, config: JSON.stringify(config), token: `tok-${Math.random()}`, totalSteps: config.steps, status } });
}

test("eight instances race for one run's lease: exactly one wins, and the others cannot take it while it is renewed", async () => {
  const dbs = Array.from({ length: 8 }, connect);
  const run = await newRun(dbs[0]);
  const leases = dbs.map((db, i) => new Leases(db, `inst-${i}`, 1500));
  const won = await Promise.all(leases.map((l) => l.claim(run.id)));
  assert.equal(won.filter(Boolean).length, 1, `winners: ${won}`);
  const owner = leases[won.indexOf(true)];
  const others = leases.filter((l) => l !== owner);
  for (let i = 0; i < 4; i++) {
    await sleep(500);
    assert.deepEqual(await owner.renew(), [], "the owner keeps it");
    assert.deepEqual(await Promise.all(others.map((l) => l.claim(run.id))), others.map(() => false));
  }
  assert.ok(owner.owns(run.id));
  assert.ok(!(await owner.claimable()).includes(run.id), "a renewed lease is not claimable");
});

test("an owner that stops renewing loses the lease after its TTL to exactly one other instance, and learns so at its next renewal", async () => {
  const dbs = Array.from({ length: 4 }, connect);
  const run = await newRun(dbs[0]);
  const [dead, ...rest] = dbs.map((db, i) => new Leases(db, `node-${i}`, 800));
  assert.ok(await dead.claim(run.id));
  assert.deepEqual(await Promise.all(rest.map((l) => l.claim(run.id))), [false, false, false]);
  await sleep(1000);
  assert.ok((await rest[0].claimable()).includes(run.id), "an expired lease is claimable");
  const won = await Promise.all(rest.map((l) => l.claim(run.id)));
  assert.equal(won.filter(Boolean).length, 1);
  const lease = await dbs[0].runLease.findUniqueOrThrow({ where: { runId: run.id } });
  assert.equal(lease.owner, rest[won.indexOf(true)].instanceId);
  assert.equal(lease.takeovers, 1);
  assert.deepEqual(await dead.renew(), [run.id], "the old owner finds the lease gone");
  assert.ok(!dead.owns(run.id));
});

test("a released lease is taken at once; an active run without a lease is claimable, an ended one is not", async () => {
  const db = connect();
  const [x, y] = [new Leases(db, "x", 60_000), new Leases(connect(), "y", 60_000)];
  const run = await newRun(db);
  assert.ok(await x.claim(run.id));
  await x.release(run.id);
  assert.ok(await y.claim(run.id));
  const unowned = await newRun(db, "queued");
  const finished = await newRun(db, "completed");
  const claimable = await x.claimable();
  assert.ok(claimable.includes(unowned.id));
  assert.ok(!claimable.includes(finished.id));
  assert.ok(!claimable.includes(run.id));
});

test("two instances raising the same finding at once store one alert and POST one webhook delivery", async () => {
  const [d1, d2] = [connect(), connect()];
  const run = await newRun(d1);
  await d1.webhook.create({ data: { runId: run.id, url: hookUrl, minSeverity: "warning" } });
  // Each believes it owns the run: the database must still keep the finding once.
  const services = [d1, d2].map((db, i) => {
    const leases = new Leases(db, `racer-${i}`, 60_000);
    leases.hold(run.id);
    const alerts = new AlertService(db, new Hub(null), leases);
    const webhooks = new WebhookService(db, { allowPrivate: true, instanceId: `racer-${i}`, baseDelayMs: 50 });
    alerts.sink = webhooks;
    return { alerts, webhooks };
  });
  const spike = { type: "loss_spike" as const, severity: "warning" as const, step: 120, value: 9, threshold: 3, message: "loss spiked", key: "loss" };
  const raised = await Promise.all(services.map((s) => s.alerts.raise(run.id, spike)));
  assert.equal(raised.filter(Boolean).length, 1, "one of them stored it");
  // The same finding again later (a takeover replaying the step) is still not a second alert.
  assert.equal(await services[1].alerts.raise(run.id, { ...spike }), null);
  await Promise.all(services.map((s) => s.webhooks.idle()));
  const rows = await d1.alert.findMany({ where: { runId: run.id } });
  assert.equal(rows.length, 1);
  assert.equal(await d1.webhookDelivery.count({ where: { alertId: rows[0].id } }), 1);
  assert.equal(posts.filter((p) => p.alert.id === rows[0].id).length, 1);
  // A rollback's attempts are separate events at one step.
  const rollback = { type: "rollback" as const, severity: "info" as const, step: 130, value: null, threshold: null, message: "rolled back" };
  assert.ok(await services[0].alerts.raise(run.id, { ...rollback, repeat: 1 }));
  assert.ok(await services[0].alerts.raise(run.id, { ...rollback, repeat: 2 }));
  assert.equal(await services[1].alerts.raise(run.id, { ...rollback, repeat: 2 }), null);
});

test("a delivery whose sender died is taken over by exactly one instance once its claim runs out", async () => {
  const db = connect();
  const run = await newRun(db);
  const hook = await db.webhook.create({ data: { runId: run.id, url: hookUrl, minSeverity: "warning" } });
  const alert = await db.alert.create({ data: { runId: run.id, type: "nan", severity: "critical", step: 7, message: "loss is NaN" } });
  // Left pending by an instance that died mid-retry: its claim ran out a moment ago.
  const row = await db.webhookDelivery.create({ data: { webhookId: hook.id, alertId: alert.id, status: "pending", attempts: 1, claimedBy: "gone", claimedUntil: new Date(Date.now() - 1000) } });
  // Another one still claimed by a live sender is left alone.
  const other = await db.alert.create({ data: { runId: run.id, type: "stall", severity: "critical", step: 9, message: "stalled" } });
  const held = await db.webhookDelivery.create({ data: { webhookId: hook.id, alertId: other.id, status: "pending", attempts: 1, claimedBy: "alive", claimedUntil: new Date(Date.now() + 60_000) } });
  const sweepers = ["s1", "s2", "s3"].map((id) => new WebhookService(connect(), { allowPrivate: true, instanceId: id }));
  const taken = await Promise.all(sweepers.map((s) => s.resumeAbandoned()));
  assert.equal(taken.reduce((a, b) => a + b, 0), 1, `taken: ${taken}`);
  await Promise.all(sweepers.map((s) => s.idle()));
  const done = await waitFor("the delivery", async () => {
    const d = await db.webhookDelivery.findUniqueOrThrow({ where: { id: row.id } });
    return d.status === "delivered" ? d : null;
  }, 10_000);
  assert.equal(done.attempts, 2, "it went on from the dead sender's attempt count");
  assert.equal(posts.filter((p) => p.alert.id === alert.id).length, 1);
  assert.equal((await db.webhookDelivery.findUniqueOrThrow({ where: { id: held.id } })).status, "pending");
  assert.equal(posts.filter((p) => p.alert.id === other.id).length, 0);
});
