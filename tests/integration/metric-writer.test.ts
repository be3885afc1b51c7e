import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { MetricPoint } from "../../lib/protocol";
import { Rng } from "../../lib/rng";
import { WIDTHS } from "../../server/services/metrics/metric-rollup";
import { MetricWriter } from "../../server/services/metrics/metric-writer";
import { type MetricDb, pgMetricDb, sqliteMetricDb } from "../helpers/metric-db";

// The metric writer on each engine: SQLite always, PostgreSQL where a server answers (required
// under CI=true). Every check compares each stored rollup row with one computed from the raw points.

const engines: { name: string; open: () => Promise<MetricDb | null> }[] = [
  { name: "sqlite", open: () => sqliteMetricDb("metric-writer") },
  { name: "postgresql", open: () => pgMetricDb("metric_writer") },
];
const opened: MetricDb[] = [];
const writers: MetricWriter[] = [];
after(async () => {
  for (const w of writers) await w.close().catch(() => {});
  for (const db of opened) await db.close();
});

interface Row { key: string; step: number; value: number | null; wallTime: number }
interface Rollup {
  width: number; key: string; bucket: number; firstStep: number; lastStep: number;
  min: number | null; max: number | null; last: number | null; lastWallTime: number; count: number; nanCount: number;
}
const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const n = (v: unknown) => (v === null ? null : Number(v));

async function points(db: MetricDb, runId: string): Promise<Row[]> {
  const rows = await db.sql.all<Row>({ text: `SELECT "key", "step", "value", "wallTime" FROM "Metric" WHERE "runId" = ?`, params: [runId] });
  return rows.map((r) => ({ key: r.key, step: Number(r.step), value: n(r.value), wallTime: Number(r.wallTime) })).sort((a, b) => byKey(a, b) || a.step - b.step);
}

/** Every width's buckets from the raw rows, in JS. */
function bruteForce(rows: Row[]): Rollup[] {
  const out: Rollup[] = [];
  for (const width of WIDTHS) {
    const buckets = new Map<string, Rollup>();
    for (const r of rows) {
      const bucket = Math.floor(r.step / width);
      const id = `${r.key}\u0000${bucket}`;
      const b = buckets.get(id) ?? { width, key: r.key, bucket, firstStep: r.step, lastStep: r.step, min: null, max: null, last: null, lastWallTime: 0, count: 0, nanCount: 0 };
      buckets.set(id, b);
      b.lastStep = r.step;
      b.last = r.value;
      b.lastWallTime = r.wallTime;
      b.count++;
      if (r.value === null) b.nanCount++;
      else {
        b.min = b.min === null ? r.value : Math.min(b.min, r.value);
        b.max = b.max === null ? r.value : Math.max(b.max, r.value);
      }
    }
    out.push(...[...buckets.values()].sort((a, b) => byKey(a, b) || a.bucket - b.bucket));
  }
  return out;
}

async function assertExact(db: MetricDb, runId: string, when: string) {
  const stored = (await db.sql.all<Rollup>({
    text: `SELECT "width", "key", "bucket", "firstStep", "lastStep", "min", "max", "last", "lastWallTime", "count", "nanCount" FROM "MetricRollup" WHERE "runId" = ?`,
    params: [runId],
  }))
    .map((r) => ({
      width: Number(r.width), key: r.key, bucket: Number(r.bucket), firstStep: Number(r.firstStep), lastStep: Number(r.lastStep), min: n(r.min), max: n(r.max),
      last: n(r.last), lastWallTime: Number(r.lastWallTime), count: Number(r.count), nanCount: Number(r.nanCount),
    }))
    .sort((a, b) => a.width - b.width || byKey(a, b) || a.bucket - b.bucket);
  const expected = bruteForce(await points(db, runId));
  assert.equal(stored.length, expected.length, `${when}: number of rollup rows`);
  for (let i = 0; i < stored.length; i++) assert.deepEqual(stored[i], expected[i], `${when}: rollup row ${i}`);
}

const KEYS = ["loss", "lr", "grad_norm"];
function stepPoints(rng: Rng, steps: number[], salt = 0): MetricPoint[] {
  return steps.flatMap((step) => KEYS.map((key) => ({
    key, step, wallTime: 1.7e9 + step + salt / 10,
    // + 0: JSON turns -0 into 0 on its way from a trainer, so the database never sees one.
    value: rng.next() < 0.02 ? null : Math.round((Math.sin(step / 7 + salt) + rng.normal() * 0.1) * 1000) / 1000 + 0,
  })));
}
function shuffle<T>(rng: Rng, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** The rows a sequence of writes should leave: the last write of each (key, step). */
function expectRows(...writes: MetricPoint[][]): Row[] {
  const m = new Map<string, Row>();
  for (const w of writes) for (const p of w) m.set(`${p.key}\u0000${p.step}`, { key: p.key, step: p.step, value: p.value, wallTime: p.wallTime });
  return [...m.values()].sort((a, b) => byKey(a, b) || a.step - b.step);
}
const writer = (db: MetricDb, intervalMs = 1) => {
  const w = new MetricWriter(db.url, () => {}, intervalMs);
  writers.push(w);
  return w;
};

for (const engine of engines) {
  let db: MetricDb | null | undefined;
  const ready = async (t: { skip: (why: string) => void }) => {
    if (db === undefined) {
      db = await engine.open();
      if (db) opened.push(db);
    }
    if (!db) t.skip(`no PostgreSQL answers at the test URL (set TEST_PG_URL); CI=true makes this a failure`);
    return db;
  };

  test(`${engine.name}: re-sent, overlapping and out-of-order batches leave one row per step and exact rollups`, async (t) => {
    const d = await ready(t);
    if (!d) return;
    const rng = new Rng(1);
    const runId = await d.addRun("exactly-once");
    const w = writer(d);
    const first = stepPoints(rng, range(0, 2999));
    const batches = Array.from({ length: 30 }, (_, i) => first.slice(i * 300, (i + 1) * 300));
    // The later half first, then the earlier half scrambled, with re-sends and overlaps, not all in one flush.
    await Promise.all(batches.slice(15).map((b) => w.enqueue(runId, b)));
    const order = shuffle(rng, range(0, 14));
    const sends = order.flatMap((i) => [batches[i], ...(i % 3 === 0 ? [batches[i]] : [])]);
    sends.push(first.slice(150 * 3, 450 * 3), first.slice(2900 * 3));
    await Promise.all(sends.map((b) => w.enqueue(runId, b)));
    assert.deepEqual(await points(d, runId), expectRows(first), "every point once, with its value");
    await assertExact(d, runId, "after out-of-order and re-sent batches");

    // A resumed trainer redoes steps with new values, one batch out of order and holding a step twice.
    const redone = stepPoints(rng, range(1000, 1299), 1);
    const scrambled = shuffle(rng, [...redone]);
    const twice = { ...scrambled[7], value: 42 };
    await w.enqueue(runId, [...scrambled, twice]);
    const after = stepPoints(rng, range(3000, 3100), 2);
    await w.enqueue(runId, after);
    assert.deepEqual(await points(d, runId), expectRows(first, redone, [twice], after));
    await assertExact(d, runId, "after redone steps and appends");
  });

  test(`${engine.name}: appends over many flushes keep every width's open bucket exact, NaNs and far steps included`, async (t) => {
    const d = await ready(t);
    if (!d) return;
    const rng = new Rng(2);
    const runId = await d.addRun("appends");
    const w = writer(d);
    let step = 0;
    const sent: MetricPoint[][] = [];
    for (let f = 0; f < 60; f++) {
      const steps: number[] = [];
      for (let i = rng.int(200) + 1; i > 0; i--) steps.push((step += rng.next() < 0.05 ? rng.int(30_000) + 1 : 1));
      const batch = stepPoints(rng, steps, f);
      sent.push(batch);
      await w.enqueue(runId, batch);
      if (f % 15 === 14) await assertExact(d, runId, `after flush ${f}`);
    }
    assert.ok(step > WIDTHS[WIDTHS.length - 1], `steps reach past the widest bucket (${step})`);
    assert.deepEqual(await points(d, runId), expectRows(...sent));
  });

  test(`${engine.name}: a rollback lands in order with the writes around it, and the run's rows say so`, async (t) => {
    const d = await ready(t);
    if (!d) return;
    const rng = new Rng(3);
    const runId = await d.addRun("rollback");
    const w = writer(d, 20);
    const before = stepPoints(rng, range(0, 999));
    await w.enqueue(runId, before);
    const late = stepPoints(rng, range(1000, 1099));
    const redo = stepPoints(rng, range(501, 600), 1);
    await Promise.all([w.enqueue(runId, late), w.supersede(runId, 500, 1), w.enqueue(runId, redo)]);
    const kept = before.filter((p) => p.step <= 500);
    assert.deepEqual(await points(d, runId), expectRows(kept, redo));
    const moved = await d.sql.all<Row & { attempt: number }>({ text: `SELECT "key", "step", "value", "wallTime", "attempt" FROM "SupersededMetric" WHERE "runId" = ?`, params: [runId] });
    assert.deepEqual(
      moved.map((r) => ({ key: r.key, step: Number(r.step), value: n(r.value), wallTime: Number(r.wallTime), attempt: Number(r.attempt) })).sort((a, b) => byKey(a, b) || a.step - b.step),
      expectRows([...before, ...late].filter((p) => p.step > 500)).map((r) => ({ ...r, attempt: 1 })),
      "the undone points, written before the rollback, moved aside",
    );
    await assertExact(d, runId, "after a rollback between writes");
    const next = stepPoints(rng, range(601, 700), 2);
    await w.enqueue(runId, next);
    await assertExact(d, runId, "after appending past the rollback");
    const [run] = await d.sql.all<{ step: number; lastLoss: number | null }>({ text: `SELECT "step", "lastLoss" FROM "Run" WHERE "id" = ?`, params: [runId] });
    const lastLoss = [...next].reverse().find((p) => p.key === "loss" && p.value !== null)!;
    assert.deepEqual({ step: Number(run.step), lastLoss: n(run.lastLoss) }, { step: 701, lastLoss: lastLoss.value }, "the run's step and loss follow its points");

    await w.supersede(runId, -1, 2);
    assert.equal((await points(d, runId)).length, 0);
    await assertExact(d, runId, "after a rollback of everything");
  });

  test(`${engine.name}: a failed flush rejects every enqueue in it, acks none of it, and loses nothing acked`, async (t) => {
    const d = await ready(t);
    if (!d) return;
    const rng = new Rng(4);
    const runId = await d.addRun("failure");
    const w = writer(d, 50);
    const acked = stepPoints(rng, range(0, 99));
    await w.enqueue(runId, acked);
    const lost = stepPoints(rng, range(100, 199));
    // Same tick, same flush: the unknown run's rows break the foreign key, and the whole flush goes.
    const results = await Promise.allSettled([w.enqueue(runId, lost), w.enqueue("no-such-run", stepPoints(rng, [5]))]);
    assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
    assert.match(String((results[0] as PromiseRejectedResult).reason), /FOREIGN KEY|foreign key/);
    assert.deepEqual(await points(d, runId), expectRows(acked), "what was acked is there, and nothing of the failed flush");
    await assertExact(d, runId, "after a failed flush");
    assert.equal(w.stats.flushErrors, 1);
    assert.equal(w.stats.pendingPoints, 0);
    // The trainer sends it again, and it goes in.
    await w.enqueue(runId, lost);
    assert.deepEqual(await points(d, runId), expectRows(acked, lost));
    await assertExact(d, runId, "after the re-send");
  });

  test(`${engine.name}: points stored behind the writer's back fail one flush, and the re-send goes in with exact rollups`, async (t) => {
    const d = await ready(t);
    if (!d) return;
    const rng = new Rng(7);
    const runId = await d.addRun("behind");
    const w = writer(d);
    const first = stepPoints(rng, range(0, 99));
    await w.enqueue(runId, first);
    // Rows with no rollups: the table now disagrees with what the writer checks (its rollups).
    const stray = stepPoints(rng, range(100, 104), 9);
    for (const p of stray)
      await d.sql.run({ text: `INSERT INTO "Metric" ("runId", "key", "step", "value", "wallTime") VALUES (?, ?, ?, ?, ?)`, params: [runId, p.key, p.step, p.value, p.wallTime] });
    const next = stepPoints(rng, range(100, 199));
    await assert.rejects(w.enqueue(runId, next), "a plain insert meets a stored row");
    await w.enqueue(runId, next);
    assert.deepEqual(await points(d, runId), expectRows(first, next));
    await assertExact(d, runId, "after the careful path");
    const more = stepPoints(rng, range(200, 299));
    await w.enqueue(runId, more);
    await assertExact(d, runId, "back on the incremental path");
  });

  test(`${engine.name}: a new writer (a restarted server) and a writer whose run another wrote both go on from the stored rollups`, async (t) => {
    const d = await ready(t);
    if (!d) return;
    const rng = new Rng(5);
    const runId = await d.addRun("restart");
    const a = writer(d);
    const one = stepPoints(rng, range(0, 1234));
    await a.enqueue(runId, one);
    await a.close();
    const b = writer(d);
    const two = stepPoints(rng, range(1235, 2000));
    await b.enqueue(runId, two);
    await assertExact(d, runId, "after a second writer appended");
    // Another server takes the run for a while, then this one writes again: its memory is stale.
    const c = writer(d);
    const three = stepPoints(rng, range(2001, 2500));
    await c.enqueue(runId, three);
    const four = stepPoints(rng, range(2501, 3000));
    await b.enqueue(runId, four);
    assert.deepEqual(await points(d, runId), expectRows(one, two, three, four));
    await assertExact(d, runId, "after writers took turns");

    // Many keys: the open buckets are read back in several statements.
    const wide = await d.addRun("many-keys");
    const keyed = (from: number, to: number) => range(from, to).flatMap((step) => range(0, 59).map((k) => ({ key: `layer/${k}/grad_norm`, step, value: (step * k) % 7, wallTime: 1.7e9 + step })));
    await b.enqueue(wide, keyed(0, 49));
    const e = writer(d);
    await e.enqueue(wide, keyed(50, 99));
    await assertExact(d, wide, "after a new writer appended to 60 keys");
  });
}

test("postgresql: a lost connection fails at most the flush under way, and the next flush connects again", async (t) => {
  const d = opened.find((db) => db.engine === "postgresql") ?? null;
  if (!d) return t.skip("no PostgreSQL database was opened (see the engine tests above)");
  const rng = new Rng(6);
  const runId = await d.addRun("reconnect");
  const w = writer(d);
  const first = stepPoints(rng, range(0, 99));
  await w.enqueue(runId, first);
  await d.sql.run({ text: `SELECT pg_terminate_backend("pid") FROM pg_stat_activity WHERE "datname" = current_database() AND "pid" <> pg_backend_pid()`, params: [] });
  const second = stepPoints(rng, range(100, 199));
  let failures = 0;
  for (;;) {
    try {
      await w.enqueue(runId, second);
      break;
    } catch (e) {
      assert.ok(++failures <= 1, `failed again after reconnecting: ${(e as Error).message}`);
    }
  }
  assert.deepEqual(await points(d, runId), expectRows(first, second));
  await assertExact(d, runId, "after a reconnect");
});

test("a database the writer cannot open fails its flushes with the reason, and a URL of no known engine is named", async () => {
  const w = new MetricWriter("file:/nonexistent-dir/for/sure/app.db", () => {}, 1);
  await assert.rejects(w.enqueue("r", [{ step: 0, key: "loss", value: 1, wallTime: 1 }]), /could not open the database/);
  await w.close();
  const bad = new MetricWriter("mysql://localhost/db", () => {}, 1);
  await assert.rejects(bad.enqueue("r", [{ step: 0, key: "loss", value: 1, wallTime: 1 }]), /must start with file:, postgres:\/\/ or postgresql:\/\//);
  await bad.close();
});
