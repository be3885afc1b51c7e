import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { io, type Socket } from "socket.io-client";
import { EV } from "../../lib/protocol";
import { openTestDb } from "../helpers/db";
import { liveLaunch } from "../helpers/live-launch";
import { startServer, tempDataDir, type TestServer } from "../helpers/server";

/**
 * Metric keys are chosen by trainers. Keys that name Object.prototype members once made
 * metric.history answer 500 for the run for good (a plain object indexed by the key); every
 * procedure that returns metrics by key must give them back as ordinary keys.
 */
const PROTO_KEYS = ["__proto__", "constructor", "eval/__proto__/acc", "eval/constructor/acc"];
// Not lowercase, so the key schema refuses them: the refusal must be clean and write nothing.
const REFUSED_KEYS = ["toString", "hasOwnProperty"];
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

let server: TestServer;
let runId = "";
let trainer: Socket;

before(async () => {
  server = await startServer(tempDataDir("proto-keys"));
  // A live launch with no trainer of the server's: the test speaks for the trainer.
  const launch = await liveLaunch(server, "proto");
  runId = launch.runId;
  const { token } = launch;
  const db = await openTestDb(server.dataDir);
  // Rolled-back points have no trainer path that is independent of the rollback rules: stored directly.
  const insert = `INSERT INTO "SupersededMetric" ("runId", "key", "step", "value", "wallTime", "attempt") VALUES (?, ?, ?, ?, ?, 1)`;
  for (const key of PROTO_KEYS) for (let step = 1; step <= 3; step++) await db.run(insert, runId, key, step, step, 1.7e9 + step);
  await db.close();
  trainer = io(`${server.url}/trainer`, { transports: ["websocket"], auth: { runId, token }, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    trainer.once("connect", resolve);
    trainer.once("connect_error", reject);
  });
});
after(async () => {
  trainer?.close();
  await server?.stop();
});

const point = (key: string, step: number) => ({ step, key, value: step / 10, wallTime: 1.7e9 + step });

test("metric keys named like Object.prototype members are stored and read back through every metric procedure", async () => {
  // In step order, as a trainer sends them: the channel refuses a batch whose steps go back.
  const points = [1, 2, 3].flatMap((s) => PROTO_KEYS.map((key) => point(key, s)));
  const ack = await trainer.timeout(30_000).emitWithAck(EV.metricBatch, { seq: 1, points });
  assert.deepEqual(ack, { ok: true, seq: 1 });
  for (const key of REFUSED_KEYS) {
    const refused = await trainer.timeout(30_000).emitWithAck(EV.metricBatch, { seq: 2, points: [point(key, 1)] });
    assert.equal(refused.ok, false);
    assert.match(refused.error, /lowercase metric key/);
  }

  const history = await server.api.metric.history.query({ runId });
  const keys = await server.api.metric.keys.query({ runId });
  const range = await server.api.metric.range.query({ runId, keys: PROTO_KEYS });
  const compared = await server.api.compare.history.query({ runIds: [runId], keys: PROTO_KEYS });
  const summary = await server.api.compare.summary.query({ runIds: [runId] });
  const superseded = await server.api.alert.superseded.query({ runId });
  assert.deepEqual(keys.keys.map((k) => k.key).sort(), [...PROTO_KEYS].sort());
  for (const key of PROTO_KEYS) {
    assert.ok(own(history, key), `metric.history has ${key}`);
    assert.deepEqual(history[key].map((p) => p.value), [0.1, 0.2, 0.3], `metric.history ${key}`);
    assert.ok(own(range, key), `metric.range has ${key}`);
    assert.deepEqual(range[key].points.map((p) => p.last), [0.1, 0.2, 0.3], `metric.range ${key}`);
    assert.deepEqual(compared[runId][key].points.map((p) => p.last), [0.1, 0.2, 0.3], `compare.history ${key}`);
    assert.deepEqual(superseded[key]?.map((p) => p.step), [1, 2, 3], `alert.superseded ${key}`);
    const latest = await server.api.compare.latest.query({ key });
    assert.deepEqual(latest, { [runId]: 0.3 }, `compare.latest ${key}`);
  }
  const evals = summary.rows[0].evals;
  for (const key of PROTO_KEYS.filter((k) => k.startsWith("eval/"))) assert.deepEqual(evals[key], { value: 0.3, step: 3 }, `compare.summary ${key}`);
  assert.equal(Object.getPrototypeOf({}).polluted, undefined);
  // Only the keys logged: nothing inherited shows up as a series.
  assert.deepEqual(Object.keys(history).sort(), [...PROTO_KEYS].sort());
});
