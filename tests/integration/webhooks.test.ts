import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, test } from "node:test";
import { LOCAL } from "../../server/auth/principal";
import { migrate, openDb, type Db } from "../../server/db/db";
import { loadEnv } from "../../server/env";
import type { Services } from "../../server/services";
import { WebhookService, type DeliveryRow, type WebhookOptions } from "../../server/services/alerts/webhooks";
import { createCallerFactory } from "../../server/trpc/init";
import { webhookRouter } from "../../server/trpc/webhook-router";
import { databaseEnv } from "../helpers/db";
import { tempDataDir } from "../helpers/server";

type Reply = { status: number; delayMs?: number; headers?: Record<string, string> };
type Received = { path: string; body: any };

let db: Db;
let receiver: http.Server;
let base = "";
let refusedUrl = "";
const received: Received[] = [];
/** Replies per path, taken in order; the last one repeats. Unplanned paths answer 200. */
const plans = new Map<string, Reply[]>();
const runs: Record<"a" | "b", { id: string; name: string }> = {} as never;
const services: WebhookService[] = [];

// The receiver is on loopback, which needs allowPrivate; the guard itself is tested in outbound.test.ts.
const FAST: Partial<WebhookOptions> = { attempts: 3, baseDelayMs: 20, timeoutMs: 1000, dedupWindowMs: 60_000, allowPrivate: true };

function service(opts: Partial<WebhookOptions> = {}, onDelivery?: (d: DeliveryRow) => void) {
  const s = new WebhookService(db, { ...FAST, ...opts }, onDelivery);
  services.push(s);
  return s;
}

async function hook(path: string, data: { runId?: string | null; format?: string; minSeverity?: string; enabled?: boolean } = {}) {
  return db.webhook.create({ data: { url: `${base}${path}`, minSeverity: "info", ...data } });
}

async function raise(run: "a" | "b", type = "loss_spike", severity = "warning") {
  const alert = await db.alert.create({
    data: { runId: runs[run].id, type, severity, step: 120, value: 6.5, threshold: 4.2, key: "loss", message: "loss 6.5 is 5.1 sigma above its recent mean" },
  });
  return { ...alert, runName: runs[run].name };
}

const deliveriesOf = (webhookId: number) => db.webhookDelivery.findMany({ where: { webhookId }, orderBy: { id: "asc" } });
const hits = (path: string) => received.filter((r) => r.path === path);

before(async () => {
  const dataDir = tempDataDir("webhooks");
  const env = loadEnv({ DATA_DIR: dataDir, ...(await databaseEnv(dataDir)) });
  await migrate(env);
  db = openDb(env);
  for (const k of ["a", "b"] as const) {
    const run = await db.run.create({ data: { name: `run-${k}`, config: "{}", token: "t", totalSteps: 100 } });
    runs[k] = { id: run.id, name: run.name };
  }
  receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push({ path: req.url!, body: JSON.parse(body) });
      const plan = plans.get(req.url!) ?? [{ status: 200 }];
      const reply = plan.length > 1 ? plan.shift()! : plan[0];
      setTimeout(() => res.writeHead(reply.status, reply.headers).end(reply.status < 300 ? "ok" : "nope"), reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // A port that was just free and is now closed refuses connections.
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/hook`;
  await new Promise((r) => closed.close(r));
});

beforeEach(async () => {
  await db.webhook.deleteMany();
  received.length = 0;
  plans.clear();
});

after(async () => {
  await Promise.all(services.map((s) => s.close()));
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  await db?.$disconnect();
});

test("the JSON payload carries the alert and a link to the run page; every row change is reported", async () => {
  const seen: DeliveryRow[] = [];
  const s = service({ publicUrl: () => "http://dash.example/" }, (d) => seen.push(d));
  const h = await hook("/json");
  const alert = await raise("a");
  s.dispatch(alert);
  await s.idle();
  assert.equal(hits("/json").length, 1);
  const body = hits("/json")[0].body;
  assert.deepEqual(body.alert, {
    id: alert.id, type: "loss_spike", severity: "warning", runId: runs.a.id, runName: "run-a", step: 120, value: 6.5, threshold: 4.2,
    message: alert.message, key: "loss", createdAt: alert.createdAt.toISOString(),
  });
  assert.equal(body.url, `http://dash.example/runs/${runs.a.id}`);
  const [row] = await deliveriesOf(h.id);
  assert.equal(row.status, "delivered");
  assert.equal(row.attempts, 1);
  assert.equal(row.httpStatus, 200);
  assert.deepEqual(seen.map((d) => d.status), ["pending", "delivered"]);
  assert.equal(typeof seen[1].updatedAt, "string");
});

test("the Slack payload has a one-line text with a severity emoji and a section of markdown fields", async () => {
  const s = service();
  await hook("/slack", { format: "slack" });
  s.dispatch(await raise("a", "nan", "critical"));
  await s.idle();
  const [{ body }] = hits("/slack");
  assert.match(body.text, /^:rotating_light: CRITICAL nan on run run-a at step 120: loss 6\.5/);
  assert.equal(body.text.includes("\n"), false);
  assert.equal(body.blocks.length, 1);
  const [section] = body.blocks;
  assert.equal(section.type, "section");
  assert.equal(section.text.type, "mrkdwn");
  assert.match(section.text.text, /\*nan\* on run \*run-a\*/);
  const fields = section.fields.map((f: { type: string; text: string }) => (assert.equal(f.type, "mrkdwn"), f.text));
  assert.deepEqual(fields, ["*Severity*\ncritical", "*Step*\n120", "*Value*\n6.5", "*Threshold*\n4.2", "*Metric*\nloss"]);
});

test("a 500 then a 200 is delivered on the second attempt", async () => {
  const s = service();
  const h = await hook("/flaky");
  plans.set("/flaky", [{ status: 500 }, { status: 200 }]);
  s.dispatch(await raise("a"));
  await s.idle();
  assert.equal(hits("/flaky").length, 2);
  const [row] = await deliveriesOf(h.id);
  assert.deepEqual([row.status, row.attempts, row.httpStatus, row.error], ["delivered", 2, 200, null]);
});

test("a receiver that always answers 500 ends failed after every attempt", async () => {
  const s = service({ attempts: 4 });
  const h = await hook("/down");
  plans.set("/down", [{ status: 500 }]);
  s.dispatch(await raise("a"));
  await s.idle();
  assert.equal(hits("/down").length, 4);
  const [row] = await deliveriesOf(h.id);
  assert.deepEqual([row.status, row.attempts, row.httpStatus], ["failed", 4, 500]);
  assert.match(row.error!, /HTTP 500: nope/);
});

test("a 400 is not retried; a 429 is, after its Retry-After; a timeout is", async () => {
  const s = service({ timeoutMs: 150 });
  const bad = await hook("/bad");
  const busy = await hook("/busy");
  const slow = await hook("/slow");
  plans.set("/bad", [{ status: 400 }]);
  plans.set("/busy", [{ status: 429, headers: { "retry-after": "1" } }, { status: 200 }]);
  plans.set("/slow", [{ status: 200, delayMs: 600 }, { status: 200 }]);
  const started = Date.now();
  s.dispatch(await raise("a"));
  await s.idle();
  assert.equal(hits("/bad").length, 1);
  assert.deepEqual((await deliveriesOf(bad.id)).map((d) => [d.status, d.attempts, d.httpStatus]), [["failed", 1, 400]]);
  assert.deepEqual((await deliveriesOf(busy.id)).map((d) => [d.status, d.attempts, d.httpStatus]), [["delivered", 2, 200]]);
  assert.ok(Date.now() - started >= 1000, "the 429 retry waited for Retry-After");
  assert.deepEqual((await deliveriesOf(slow.id)).map((d) => [d.status, d.attempts]), [["delivered", 2]]);
});

test("a URL that refuses connections ends failed without throwing", async () => {
  const s = service();
  const h = await db.webhook.create({ data: { url: refusedUrl, minSeverity: "info" } });
  s.dispatch(await raise("a"));
  await s.idle();
  const [row] = await deliveriesOf(h.id);
  assert.deepEqual([row.status, row.attempts, row.httpStatus], ["failed", 3, null]);
  assert.match(row.error!, /ECONNREFUSED/);
});

test("dedup: one POST per (webhook, run, type) per window, kept across restarts", async () => {
  const s = service();
  const h = await hook("/dedup");
  s.dispatch(await raise("a", "loss_spike"));
  s.dispatch(await raise("a", "loss_spike"));
  await s.idle();
  assert.equal(hits("/dedup").length, 1);
  let rows = await deliveriesOf(h.id);
  assert.deepEqual(rows.map((d) => d.status), ["delivered", "deduplicated"]);
  assert.match(rows[1].error!, /Suppressed: delivery #\d+ already carried a loss_spike alert/);

  s.dispatch(await raise("a", "stall", "critical"));
  s.dispatch(await raise("b", "loss_spike"));
  await s.idle();
  assert.equal(hits("/dedup").length, 3, "another type or another run is not deduplicated");

  // A new service over the same database (a restarted server) still remembers.
  const restarted = service();
  restarted.dispatch(await raise("a", "loss_spike"));
  await restarted.idle();
  assert.equal(hits("/dedup").length, 3);
  rows = await deliveriesOf(h.id);
  assert.equal(rows.filter((d) => d.status === "deduplicated").length, 2);
});

test("dedup: after the window passes the same alert is delivered again", async () => {
  const s = service({ dedupWindowMs: 300 });
  const h = await hook("/window");
  s.dispatch(await raise("a"));
  await s.idle();
  s.dispatch(await raise("a"));
  await s.idle();
  await new Promise((r) => setTimeout(r, 350));
  s.dispatch(await raise("a"));
  await s.idle();
  assert.equal(hits("/window").length, 2);
  assert.deepEqual((await deliveriesOf(h.id)).map((d) => d.status), ["delivered", "deduplicated", "delivered"]);
});

test("webhooks are chosen by severity, by run (plus the global ones), and only when enabled", async () => {
  const s = service();
  await hook("/global-warning", { minSeverity: "warning" });
  await hook("/run-a", { runId: runs.a.id });
  await hook("/run-b", { runId: runs.b.id });
  await hook("/disabled", { enabled: false });
  s.dispatch(await raise("a", "rollback", "info"));
  await s.idle();
  assert.deepEqual(received.map((r) => r.path), ["/run-a"]);
  received.length = 0;
  s.dispatch(await raise("a", "crash", "critical"));
  await s.idle();
  assert.deepEqual(received.map((r) => r.path).sort(), ["/global-warning", "/run-a"]);
  assert.equal(await db.webhookDelivery.count({ where: { webhook: { url: { in: [`${base}/run-b`, `${base}/disabled`] } } } }), 0);
});

test("close cuts a waiting retry short and records why", async () => {
  const s = service({ baseDelayMs: 60_000 });
  const h = await hook("/closing");
  plans.set("/closing", [{ status: 503 }]);
  s.dispatch(await raise("a"));
  while ((await deliveriesOf(h.id))[0]?.attempts !== 1) await new Promise((r) => setTimeout(r, 10));
  const started = Date.now();
  await s.close();
  assert.ok(Date.now() - started < 5000);
  const [row] = await deliveriesOf(h.id);
  assert.deepEqual([row.status, row.attempts, row.httpStatus], ["failed", 1, 503]);
  assert.match(row.error!, /Stopped: the server shut down/);
  s.dispatch(await raise("b"));
  await s.idle();
  assert.equal(await db.webhookDelivery.count({ where: { webhookId: h.id } }), 1, "a closed service sends nothing more");
});

test("the tRPC router validates URLs, lists, tests, updates, removes and shows deliveries", async () => {
  const s = service();
  const api = createCallerFactory(webhookRouter)({ services: { webhooks: s } as unknown as Services, principal: LOCAL });
  // Over HTTP the error formatter turns these issues into "url: <message>".
  const badUrl = (pattern: RegExp) => (e: any) => e.code === "BAD_REQUEST" && e.cause.issues[0].path[0] === "url" && pattern.test(e.cause.issues[0].message);
  await assert.rejects(api.create({ runId: null, url: "ftp://example.com/x", format: "json", minSeverity: "warning" }), badUrl(/must start with http:\/\/ or https:\/\//));
  await assert.rejects(api.create({ runId: null, url: "not a url", format: "json", minSeverity: "warning" }), badUrl(/Not a valid URL/));
  await assert.rejects(api.create({ runId: "nope", url: `${base}/x`, format: "json", minSeverity: "warning" }), /No run with id nope/);
  assert.equal(await db.webhook.count(), 0, "nothing was created");

  const global = await api.create({ runId: null, url: `${base}/api-global`, format: "json", minSeverity: "info" });
  const perRun = await api.create({ runId: runs.a.id, url: `${base}/api-run`, format: "slack", minSeverity: "critical" });
  assert.deepEqual((await api.list()).map((w) => w.id), [global.id]);
  assert.deepEqual((await api.list({ runId: null })).map((w) => w.id), [global.id]);
  assert.deepEqual((await api.list({ runId: runs.a.id })).map((w) => w.id), [global.id, perRun.id]);

  const result = await api.test({ id: global.id });
  assert.deepEqual(result, { status: "delivered", attempts: 1, httpStatus: 200, error: null });
  const [sent] = hits("/api-global");
  assert.equal(sent.body.test, true);
  assert.equal(sent.body.alert.type, "test");
  await api.test({ id: perRun.id });
  assert.match(hits("/api-run")[0].body.text, /\[TEST\].*run-a/);
  const refused = await api.create({ runId: null, url: refusedUrl, format: "json", minSeverity: "info" });
  const failed = await api.test({ id: refused.id });
  assert.equal(failed.status, "failed");
  assert.match(failed.error!, /ECONNREFUSED/);
  await api.update({ id: refused.id, enabled: false });

  for (const type of ["loss_spike", "loss_spike", "stall"]) s.dispatch(await raise("a", type, "critical"));
  await s.idle();
  const [listed] = await api.list();
  assert.deepEqual(listed.recent.map((d) => d.status), ["delivered", "deduplicated", "delivered"]);
  const all = await api.deliveries();
  assert.deepEqual(all.map((d) => d.id), [...all.map((d) => d.id)].sort((a, b) => b - a), "newest first");
  assert.equal(all.length, 6, "three each for the global and the per-run webhook, none for the disabled one");
  const mine = await api.deliveries({ webhookId: global.id, limit: 2 });
  assert.deepEqual(mine.map((d) => [d.status, d.alert.type, d.alert.runName]), [["delivered", "stall", "run-a"], ["deduplicated", "loss_spike", "run-a"]]);
  assert.match(mine[0].alert.message, /sigma/);

  const updated = await api.update({ id: global.id, minSeverity: "critical", format: "slack" });
  assert.deepEqual([updated.minSeverity, updated.format], ["critical", "slack"]);
  await api.remove({ id: global.id });
  await assert.rejects(api.remove({ id: global.id }), /No webhook with id/);
  assert.deepEqual((await api.list({ runId: runs.a.id })).map((w) => w.id), [perRun.id, refused.id]);
});
