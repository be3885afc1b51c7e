import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import Database from "better-sqlite3";
import type { MetricPoint } from "../../lib/protocol";
import { Rng } from "../../lib/rng";
import { RunConfig } from "../../lib/run-config";
import { migrate, openDb, type Db } from "../../server/db/db";
import { loadEnv } from "../../server/env";
import { WIDTHS } from "../../server/services/metrics/metric-rollup";
import { MetricWriter } from "../../server/services/metrics/metrics";
import { databaseEnv, testProvider } from "../helpers/db";
import { startServer, tempDataDir, type TestServer } from "../helpers/server";

const dataDir = tempDataDir("metric-range");
let db: Db;
let server: TestServer | undefined;
let env: ReturnType<typeof loadEnv>;

before(async () => {
  env = loadEnv({ DATA_DIR: dataDir, ...(await databaseEnv(dataDir)) });
  await migrate(env);
  db = openDb(env);
  if (env.dbProvider === "sqlite") await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
});
after(async () => {
  await db?.$disconnect();
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const newRun = async (name: string) =>
  (await db.run.create({ data: { name, config: JSON.stringify(RunConfig.parse({ name })), token: name, totalSteps: 1, status: "completed" } })).id;

interface Rollup {
  width: number; key: string; bucket: number; firstStep: number; lastStep: number;
  min: number | null; max: number | null; last: number | null; lastWallTime: number; count: number; nanCount: number;
}

/** Every width's buckets computed from the raw rows in JS, in the order the table sorts them. */
async function bruteForce(runId: string) {
  const rows = await db.metric.findMany({ where: { runId }, orderBy: [{ key: "asc" }, { step: "asc" }] });
  const out: Rollup[] = [];
  for (const width of WIDTHS) {
    const buckets = new Map<string, Rollup>();
    for (const r of rows) {
      const bucket = Math.floor(r.step / width);
      const id = `${r.key}/${bucket}`;
      const b = buckets.get(id) ?? { width, key: r.key, bucket, firstStep: r.step, lastStep: r.step, min: null, max: null, last: null, lastWallTime: 0, count: 0, nanCount: 0 };
      buckets.set(id, b);
      b.lastStep = r.step; // rows ascend by step within a key
      b.last = r.value;
      b.lastWallTime = r.wallTime;
      b.count++;
      if (r.value === null) b.nanCount++;
      else {
        b.min = b.min === null ? r.value : Math.min(b.min, r.value);
        b.max = b.max === null ? r.value : Math.max(b.max, r.value);
      }
    }
    out.push(...[...buckets.values()].sort((a, b) => a.key.localeCompare(b.key) || a.bucket - b.bucket));
  }
  return out;
}

async function assertRollupsExact(runId: string, when: string) {
  const stored = await db.metricRollup.findMany({
    where: { runId },
    orderBy: [{ width: "asc" }, { key: "asc" }, { bucket: "asc" }],
    omit: { runId: true },
  });
  const expected = await bruteForce(runId);
  assert.equal(stored.length, expected.length, `${when}: number of rollup rows`);
  for (let i = 0; i < stored.length; i++) assert.deepEqual(stored[i], expected[i], `${when}: rollup row ${i}`);
}

let rollupRun = "";

test("rollups equal a brute-force aggregation after random inserts, re-sends, rewrites and rollbacks", async () => {
  const rng = new Rng(7);
  const runId = (rollupRun = await newRun("rollups"));
  const writer = new MetricWriter(env.databaseUrl, () => {}, 1);
  const value = () => (rng.next() < 0.03 ? null : Math.round(rng.normal() * 1000) / 100);
  const point = (key: string, step: number, v = value()): MetricPoint => ({ key, step, value: v, wallTime: 1e9 + step + rng.next() });

  // Dense loss in shuffled batches, val_loss every 25 steps, and a few far steps that reach the widest buckets.
  const sent: MetricPoint[] = [];
  for (let s = 0; s < 20_000; s += 500) {
    const batch = Array.from({ length: 500 }, (_, i) => point("loss", s + i));
    for (let i = batch.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [batch[i], batch[j]] = [batch[j], batch[i]];
    }
    batch.push(...Array.from({ length: 20 }, (_, i) => point("val_loss", (s + i * 25))));
    sent.push(...batch);
  }
  for (let i = 0; i < 40; i += 2) void writer.enqueue(runId, sent.slice(i * 520, (i + 2) * 520));
  await writer.enqueue(runId, [300_000, 600_001, 1_100_000].map((step) => point("loss", step)));
  await assertRollupsExact(runId, "after inserts");

  // Re-sends of acked points (same values), and steps a resumed trainer redoes with new values.
  const resent = Array.from({ length: 3000 }, () => sent[rng.int(sent.length)]);
  const redone = Array.from({ length: 300 }, (_, i) => point("loss", 15_000 + i));
  await Promise.all([writer.enqueue(runId, resent), writer.enqueue(runId, redone)]);
  await assertRollupsExact(runId, "after re-sends");
  const counts = await db.metricRollup.groupBy({ by: ["key"], where: { runId, width: WIDTHS[WIDTHS.length - 1] }, _sum: { count: true } });
  assert.deepEqual(Object.fromEntries(counts.map((c) => [c.key, c._sum.count])), { loss: 20_003, val_loss: 800 }, "re-sends are not counted twice");

  // A rollback mid-bucket, queued between writes in the same flush, then the redone steps.
  void writer.enqueue(runId, Array.from({ length: 50 }, (_, i) => point("loss", 20_000 + i)));
  void writer.supersede(runId, 13_337, 1);
  await writer.enqueue(runId, Array.from({ length: 700 }, (_, i) => point(i % 2 ? "loss" : "val_loss", 13_338 + i)));
  await assertRollupsExact(runId, "after a rollback");
  assert.equal(await db.metric.count({ where: { runId, step: { gt: 14_037 } } }), 0, "the later points moved aside");

  // A rollback to before every point of a key, and one exactly on a bucket edge.
  await writer.supersede(runId, 4095, 2);
  await assertRollupsExact(runId, "after a rollback to a bucket edge");
  await writer.enqueue(runId, [point("lr", 5000)]);
  await writer.supersede(runId, 4999, 3);
  await assertRollupsExact(runId, "after a rollback that empties a key");
  assert.equal(await db.metricRollup.count({ where: { runId, key: "lr" } }), 0);
  await writer.close();
});

// PostgreSQL's migrations start after the rollups existed, so only SQLite's have a backfill to test.
if (testProvider() === "sqlite") test("the migration's backfill rebuilds the rollups of points stored before them", async () => {
  const migrations = path.resolve(import.meta.dirname, "../../prisma/sqlite/migrations");
  const folder = fs.readdirSync(migrations).find((d) => d.endsWith("_metric_rollups"))!;
  const sql = fs.readFileSync(path.join(migrations, folder, "migration.sql"), "utf8");
  assert.ok(sql.includes("-- Backfill"));
  assert.ok(await db.metricRollup.count() > 0);
  await db.metricRollup.deleteMany({});
  const file = new Database(path.join(dataDir, "app.db"));
  file.exec(sql.slice(sql.indexOf("-- Backfill")));
  file.close();
  await assertRollupsExact(rollupRun, "after the backfill");
});

const N = 200_000;
const SPIKE = 123_457;
const NAN_STEP = 170_001;
const wallTimeOf = (step: number) => 1.7e9 + step * 0.5;
let longRun = "";

test("a long run written through MetricWriter serves its charts through the server", async () => {
  longRun = await newRun("long");
  const writer = new MetricWriter(env.databaseUrl, () => {}, 1);
  for (let s = 0; s < N; s += 5000) {
    const batch: MetricPoint[] = [];
    for (let step = s; step < s + 5000; step++) {
      const value = step === SPIKE ? 40 : step === NAN_STEP ? null : 3 + Math.sin(step / 500) * 0.1;
      batch.push({ key: "loss", step, value, wallTime: wallTimeOf(step) });
      if (step % 25 === 0) batch.push({ key: "val_loss", step, value: 3, wallTime: wallTimeOf(step) });
    }
    await writer.enqueue(longRun, batch);
  }
  await writer.close();
  await db.$disconnect();
  server = await startServer(dataDir);
});

test("a spike and a NaN survive at every zoom level through metric.range", async () => {
  assert.ok(server, "server started");
  for (const buckets of [1000, 10]) {
    for (let span = N; span >= 1; span = Math.floor(span / 4)) {
      for (const target of [SPIKE, NAN_STEP]) {
        for (const start of [target, target - Math.floor(span / 3), target - span + 1]) {
          const fromStep = Math.max(0, Math.min(N - span, start));
          const toStep = fromStep + span - 1;
          const { loss } = await server.api.metric.range.query({ runId: longRun, keys: ["loss"], fromStep, toStep, buckets });
          const where = `${fromStep}..${toStep} in ${buckets}`;
          assert.deepEqual([loss.minStep, loss.maxStep, loss.count], [0, N - 1, N]);
          assert.ok(loss.points.length <= buckets, `${where}: ${loss.points.length} points`);
          assert.equal(loss.points.reduce((n, p) => n + p.count, 0), span, `${where}: every point counted once`);
          assert.equal(loss.raw, span <= buckets, `${where}: raw`);
          if (loss.raw) assert.deepEqual(loss.points.map((p) => p.step), Array.from({ length: span }, (_, i) => fromStep + i));
          const covers = (step: number) => loss.points.find((p) => p.fromStep <= step && step <= p.toStep);
          if (fromStep <= SPIKE && SPIKE <= toStep) assert.equal(covers(SPIKE)?.max, 40, `${where}: spike`);
          if (fromStep <= NAN_STEP && NAN_STEP <= toStep) assert.equal(covers(NAN_STEP)?.nan, true, `${where}: NaN`);
          for (const p of loss.points) assert.equal(p.wallTime, wallTimeOf(p.toStep), "wall time is that of last");
        }
      }
    }
  }
});

test("raw points come back when the range holds no more than the budget, even when it spans many steps", async () => {
  assert.ok(server, "server started");
  const wide = await server.api.metric.range.query({ runId: longRun, keys: ["val_loss", "loss", "nothing"], fromStep: 50_000, toStep: 74_999 });
  assert.equal(wide.val_loss.raw, true);
  assert.deepEqual(wide.val_loss.points.map((p) => p.step), Array.from({ length: 1000 }, (_, i) => 50_000 + 25 * i));
  assert.ok(wide.val_loss.points.every((p) => p.count === 1 && p.min === 3 && p.max === 3 && p.last === 3));
  assert.equal(wide.loss.raw, false);
  assert.deepEqual(wide.nothing, { raw: true, minStep: null, maxStep: null, count: 0, points: [] });
  const all = await server.api.metric.range.query({ runId: longRun, keys: ["val_loss"] });
  assert.equal(all.val_loss.raw, false);
  assert.ok(all.val_loss.points.length <= 1000);

  // A wall-time window selects the steps logged inside it.
  const byTime = await server.api.metric.range.query({
    runId: longRun, keys: ["loss"], xAxis: "wallTime", fromTime: wallTimeOf(SPIKE - 100) - 0.1, toTime: wallTimeOf(SPIKE + 100) + 0.1,
  });
  assert.equal(byTime.loss.raw, true);
  assert.deepEqual([byTime.loss.points[0].step, byTime.loss.points.at(-1)!.step, byTime.loss.points.length], [SPIKE - 100, SPIKE + 100, 201]);

  // The run page's history keeps its shape.
  const history = await server.api.metric.history.query({ runId: longRun, keys: ["val_loss"], maxPoints: 100_000 });
  assert.equal(history.val_loss.length, N / 25);
  assert.deepEqual(history.val_loss[1], { step: 25, value: 3, wallTime: wallTimeOf(25) });
});

test("bad range requests are refused with a message", async () => {
  assert.ok(server, "server started");
  const q = server.api.metric.range.query;
  await assert.rejects(q({ runId: longRun, keys: ["loss"], fromTime: 1 }), /xAxis "wallTime"/);
  await assert.rejects(q({ runId: longRun, keys: ["loss"], xAxis: "wallTime", fromStep: 1 }), /xAxis "step"/);
  await assert.rejects(q({ runId: longRun, keys: ["loss"], fromStep: 10, toStep: 5 }), /ends before it starts/);
  await assert.rejects(q({ runId: longRun, keys: Array.from({ length: 51 }, (_, i) => `k${i}`) }), /50/);
  await assert.rejects(q({ runId: longRun, keys: ["loss"], buckets: 5001 }), /5000/);
  await assert.rejects(q({ runId: "no-such-run", keys: ["loss"] }));
});
