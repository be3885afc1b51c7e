// What a chart query costs on a long run, printed, not asserted:
//   1. ingest through the real MetricWriter (rollups included) in bulk and in live-sized flushes,
//      against the same INSERT with no rollups;
//   2. one chart query over the full range and zoomed to 10%, 1% and 0.1% around a planted spike:
//      metric.range (rollups) against fetching every raw point of the window and bucketing in JS,
//      a SQL GROUP BY over the raw rows, and today's metricHistory (all raw points, then JS).
// `node --import tsx bench/chart-queries.ts [points=1000000]`
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { mergeBuckets, pointBucket } from "../lib/downsample";
import type { MetricPoint } from "../lib/protocol";
import { Prisma } from "../server/db/db";
import { migrate, openDb, type Db } from "../server/db/db";
import { loadEnv } from "../server/env";
import { metricHistory, metricRange, MetricWriter } from "../server/services/metrics/metrics";
import { pointsAt as stepPoints, spikeStep } from "./chart-data";

const N = Number(process.argv[2] ?? 1_000_000);
const BUDGET = 1000;
const SPIKE = spikeStep(N);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "chart-queries-"));
const env = loadEnv({ DATA_DIR: dataDir });
await migrate(env);
const db = openDb(env);
await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");

async function newRun(name: string) {
  const run = await db.run.create({ data: { name, config: "{}", token: name, totalSteps: N, status: "completed" } });
  return run.id;
}

const pointsAt = (step: number): MetricPoint[] => stepPoints(step, N);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(reps: number, f: () => Promise<unknown>) {
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

// 1. Ingest. Every 4th batch also goes, timed apart, through the same INSERT with no rollups into
// another run, so both see the same table size and the same load from other processes.
const runId = await newRun("long");
const plainRun = await newRun("plain");
const writer = new MetricWriter(env.databaseUrl);
/** Writes at once rather than after the writer's 100 ms batching delay. */
async function write(run: string, points: MetricPoint[]) {
  const done = writer.enqueue(run, points);
  await writer.flush();
  await done;
}
const STEPS_PER_BATCH = 2000;
let ingestMs = 0;
let plainMs = 0;
let plainPoints = 0;
for (let s = 0; s < N; s += STEPS_PER_BATCH) {
  const batch: MetricPoint[] = [];
  for (let step = s; step < Math.min(N, s + STEPS_PER_BATCH); step++) batch.push(...pointsAt(step));
  let t = performance.now();
  await write(runId, batch);
  ingestMs += performance.now() - t;
  if ((s / STEPS_PER_BATCH) % 4) continue;
  t = performance.now();
  await plainInsert(plainRun, batch);
  plainMs += performance.now() - t;
  plainPoints += batch.length;
}

/** MetricWriter's upsert alone, one transaction per batch. */
async function plainInsert(run: string, points: MetricPoint[]) {
  const rows = points.map((p) => Prisma.sql`(${run}, ${p.key}, ${p.step}, ${p.value}, ${p.wallTime})`);
  const statements = [];
  for (let i = 0; i < rows.length; i += 500)
    statements.push(db.$executeRaw`INSERT INTO "Metric" ("runId", "key", "step", "value", "wallTime") VALUES ${Prisma.join(rows.slice(i, i + 500))}
      ON CONFLICT ("runId", "key", "step") DO UPDATE SET "value" = excluded."value", "wallTime" = excluded."wallTime"`);
  await db.$transaction(statements);
}

// A live run flushes about every 100 ms: here 10 steps of 3 keys per flush, appended after the end.
const liveRun = await newRun("live");
const livePlain = await newRun("live-plain");
const liveTimes: number[] = [];
const livePlainTimes: number[] = [];
for (let step = 0; step < 2000; step += 10) {
  const points = Array.from({ length: 10 }, (_, i) => pointsAt(step + i)).flat();
  liveTimes.push(await time(1, () => write(liveRun, points)));
  livePlainTimes.push(await time(1, () => plainInsert(livePlain, points)));
}

console.log(`\n${N.toLocaleString()} steps × 3 keys in ${dataDir}`);
console.log(`ingest, batches of ${3 * STEPS_PER_BATCH} points: MetricWriter with rollups ${Math.round((3 * N * 1000) / ingestMs).toLocaleString()} points/s,`
  + ` the same upsert without rollups ${Math.round((plainPoints * 1000) / plainMs).toLocaleString()} points/s`);
console.log(`live-sized flush (10 steps × 3 keys): MetricWriter ${median(liveTimes).toFixed(2)} ms, without rollups ${median(livePlainTimes).toFixed(2)} ms (medians)`);
const rollupRows = await db.metricRollup.count({ where: { runId } });
console.log(`MetricRollup rows for the run: ${rollupRows.toLocaleString()} (${(rollupRows / (3 * N)).toFixed(2)} per point)`);

// 2. Queries.
async function naiveRaw(from: number, to: number) {
  const rows = await db.metric.findMany({
    where: { runId, key: "loss", step: { gte: from, lte: to } },
    orderBy: { step: "asc" },
    select: { step: true, value: true, wallTime: true },
  });
  return mergeBuckets(rows.map(pointBucket), from, to, BUDGET);
}

function sqlGroupBy(from: number, to: number) {
  const width = Math.max(1, Math.ceil((to - from + 1) / BUDGET));
  return db.$queryRaw`SELECT ("step" - ${from}) / ${Prisma.raw(String(width))} AS "b", MIN("value"), MAX("value"), MIN("step"), MAX("step"), COUNT(*)
    FROM "Metric" WHERE "runId" = ${runId} AND "key" = 'loss' AND "step" >= ${from} AND "step" <= ${to} GROUP BY "b"`;
}

function checkSpike(series: Awaited<ReturnType<typeof metricRange>>[string], from: number, to: number) {
  if (SPIKE >= from && SPIKE <= to && !series.points.some((p) => p.fromStep <= SPIKE && SPIKE <= p.toStep && p.max === 40))
    throw new Error(`spike lost in ${from}..${to}`);
}

const table: string[][] = [["window", "steps", "range ms", "raw+JS ms", "ratio", "SQL GROUP BY ms", "ratio", "points", "raw?"]];
for (const frac of [1, 0.1, 0.01, 0.001]) {
  const span = Math.round(N * frac);
  const from = Math.max(0, Math.min(N - span, SPIKE - Math.floor(span / 3)));
  const to = from + span - 1;
  const q = { keys: ["loss"], fromStep: from, toStep: to, buckets: BUDGET };
  const result = (await metricRange(db, runId, q)).loss;
  checkSpike(result, from, to);
  const fast = await time(21, () => metricRange(db, runId, q));
  const reps = frac === 1 ? 3 : 7;
  const naive = await time(reps, () => naiveRaw(from, to));
  const group = await time(reps, () => sqlGroupBy(from, to));
  table.push([
    `${frac * 100}%`, span.toLocaleString(), fast.toFixed(2), naive.toFixed(1), `${(naive / fast).toFixed(0)}×`, group.toFixed(1),
    `${(group / fast).toFixed(0)}×`, String(result.points.length), String(result.raw),
  ]);
}
const three = await time(11, () => metricRange(db, runId, { keys: ["loss", "lr", "grad_norm"], buckets: BUDGET }));
const history = await time(3, () => metricHistory(db, runId, { keys: ["loss"], maxPoints: 2000 }));

const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
console.log("\nOne key (loss), budget 1000 buckets, medians:");
for (const r of table) console.log(r.map((cell, c) => cell.padStart(widths[c])).join("  "));
console.log(`\nmetric.range, 3 keys, full range: ${three.toFixed(2)} ms`);
console.log(`metricHistory (all raw points of loss, min/max in JS, 2000 points): ${history.toFixed(0)} ms`);

await db.$disconnect();
fs.rmSync(dataDir, { recursive: true, force: true });
