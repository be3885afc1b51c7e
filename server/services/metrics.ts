import { Prisma } from "../../generated/prisma/client";
import { coarsestWidth, downsampleMinMax, mergeBuckets, type Bucket, type SpanPoint } from "../../lib/downsample";
import type { MetricPoint } from "../../lib/protocol";
import type { Db } from "../db";
import { IngestStats } from "./ingest-stats";
import { firstStepAtTime, readBuckets, refreshRollups, rollupExtents, supersedeRollups, WIDTHS } from "./metric-rollup";

interface Pending {
  runId: string;
  /** Points to upsert, or a rollback: move the run's points after `supersede.afterStep` aside. */
  points: MetricPoint[];
  supersede?: { afterStep: number; attempt: number };
  resolve: () => void;
  reject: (e: unknown) => void;
}

const ROWS_PER_STATEMENT = 500;
/** Steps further apart than this get separate rollup refreshes, not one that rereads everything between. */
const SPAN_GAP = 512;

/**
 * Buffers incoming metric points and writes them in one transaction per flush (about every
 * 100 ms). Writes are idempotent on (run, key, step), so a re-sent batch never doubles a row.
 * Each enqueue resolves once its points are durable, which is when the trainer gets its ack.
 */
export class MetricWriter {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  readonly stats = new IngestStats();

  constructor(
    private db: Db,
    private onFlushed: (runIds: Set<string>) => Promise<void> | void = () => {},
    private intervalMs = 100,
  ) {}

  enqueue(runId: string, points: MetricPoint[]): Promise<void> {
    this.stats.pendingPoints += points.length;
    return new Promise((resolve, reject) => {
      this.pending.push({ runId, points, resolve, reject });
      this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
    });
  }

  /**
   * Moves the run's points after afterStep to SupersededMetric, in order with the writes: points
   * enqueued before this move with it, and points enqueued after land in Metric.
   */
  supersede(runId: string, afterStep: number, attempt: number): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.pending.push({ runId, points: [], supersede: { afterStep, attempt }, resolve, reject }));
    void this.flush();
    return done;
  }

  /** Writes everything buffered so far; resolves when it is on disk. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const statements = [];
    let rows: ({ runId: string } & MetricPoint)[] = [];
    for (const b of batch) {
      if (!b.supersede) {
        for (const p of b.points) rows.push({ runId: b.runId, ...p });
        continue;
      }
      const { afterStep, attempt } = b.supersede;
      statements.push(...this.upserts(rows), ...this.rollups(rows), ...this.moves(b.runId, afterStep, attempt), ...supersedeRollups(this.db, b.runId, afterStep));
      rows = [];
    }
    statements.push(...this.upserts(rows), ...this.rollups(rows));
    const points = batch.reduce((n, b) => n + b.points.length, 0);
    const started = performance.now();
    try {
      await this.db.$transaction(statements);
    } catch (e) {
      this.stats.flushErrors++;
      this.stats.pendingPoints -= points;
      for (const b of batch) b.reject(e);
      return;
    }
    this.stats.flushMs.record(performance.now() - started);
    this.stats.flushes++;
    this.stats.pendingPoints -= points;
    this.stats.pointsWritten += points;
    for (const b of batch) b.resolve();
    await this.onFlushed(new Set(batch.map((b) => b.runId)));
  }

  private upserts(rows: ({ runId: string } & MetricPoint)[]) {
    const statements = [];
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const values = rows
        .slice(i, i + ROWS_PER_STATEMENT)
        .map((r) => Prisma.sql`(${r.runId}, ${r.key}, ${r.step}, ${r.value}, ${r.wallTime})`);
      statements.push(
        this.db.$executeRaw`INSERT INTO "Metric" ("runId", "key", "step", "value", "wallTime")
          VALUES ${Prisma.join(values)}
          ON CONFLICT ("runId", "key", "step") DO UPDATE SET "value" = excluded."value", "wallTime" = excluded."wallTime"`,
      );
    }
    return statements;
  }

  /**
   * Rollup refreshes for the steps just written: one set per run and stretch of nearby steps, over
   * all the keys written there, since a trainer logs its keys at the same steps.
   */
  private rollups(rows: ({ runId: string } & MetricPoint)[]) {
    const byRun = new Map<string, { step: number; key: string }[]>();
    for (const r of rows) {
      if (!byRun.has(r.runId)) byRun.set(r.runId, []);
      byRun.get(r.runId)!.push(r);
    }
    const statements = [];
    for (const [runId, points] of byRun) {
      points.sort((a, b) => a.step - b.step);
      let start = 0;
      for (let i = 1; i <= points.length; i++) {
        if (i < points.length && points[i].step - points[i - 1].step <= SPAN_GAP) continue;
        const keys = [...new Set(points.slice(start, i).map((p) => p.key))];
        statements.push(...refreshRollups(this.db, runId, keys, points[start].step, points[i - 1].step));
        start = i;
      }
    }
    return statements;
  }

  private moves(runId: string, afterStep: number, attempt: number) {
    return [
      this.db.$executeRaw`INSERT INTO "SupersededMetric" ("runId", "key", "step", "value", "wallTime", "attempt")
        SELECT "runId", "key", "step", "value", "wallTime", ${attempt} FROM "Metric" WHERE "runId" = ${runId} AND "step" > ${afterStep}`,
      this.db.$executeRaw`DELETE FROM "Metric" WHERE "runId" = ${runId} AND "step" > ${afterStep}`,
    ];
  }

  async close(): Promise<void> {
    await this.flush();
  }
}

export type SeriesPoint = { step: number; value: number | null; wallTime: number };

/** A run's stored series, each reduced to about `maxPoints` points with spikes kept. */
export async function metricHistory(
  db: Db,
  runId: string,
  opts: { keys?: string[]; maxPoints: number },
): Promise<Record<string, SeriesPoint[]>> {
  const rows = await db.metric.findMany({
    where: { runId, ...(opts.keys ? { key: { in: opts.keys } } : {}) },
    orderBy: [{ key: "asc" }, { step: "asc" }],
    select: { key: true, step: true, value: true, wallTime: true },
  });
  return downsampledByKey(rows.map((r) => ({ key: r.key, point: { step: r.step, value: r.value, wallTime: r.wallTime } })), opts.maxPoints);
}

/** One chart point: the shared shape of lib/downsample.ts, as metric.range sends it. */
export type RangePoint = SpanPoint;

export interface RangeSeries {
  /** Every point is one stored point: the range holds no more than the bucket budget. */
  raw: boolean;
  /** The key's whole extent, for an overview; null when it has no points. */
  minStep: number | null;
  maxStep: number | null;
  count: number;
  points: RangePoint[];
}

export interface RangeQuery {
  keys: string[];
  fromStep?: number;
  toStep?: number;
  /** A wall-time window in seconds since the epoch, narrowing the step window per key. */
  fromTime?: number;
  toTime?: number;
  buckets: number;
}

const toPoint = (b: Bucket): RangePoint => ({
  step: b.toStep, last: b.last, min: b.min, max: b.max, fromStep: b.fromStep, toStep: b.toStep, wallTime: b.wallTime, count: b.count, nan: b.nanCount > 0,
});

/**
 * Each key's points over a step window, at most `buckets` of them, read from the rollups: a
 * spike or a NaN anywhere in the window is in some bucket's max or nan flag at every zoom level.
 */
export async function metricRange(db: Db, runId: string, q: RangeQuery): Promise<Record<string, RangeSeries>> {
  const extents = await rollupExtents(db, runId, q.keys);
  const out = new Map<string, RangeSeries>();
  for (const key of q.keys) {
    const e = extents.get(key);
    if (!e) {
      out.set(key, { raw: true, minStep: null, maxStep: null, count: 0, points: [] });
      continue;
    }
    let from = Math.max(e.minStep, q.fromStep ?? 0);
    let to = Math.min(e.maxStep, q.toStep ?? Infinity);
    if (q.fromTime !== undefined) from = Math.max(from, (await firstStepAtTime(db, runId, key, q.fromTime, false)) ?? e.maxStep + 1);
    if (q.toTime !== undefined) to = Math.min(to, ((await firstStepAtTime(db, runId, key, q.toTime, true)) ?? e.maxStep + 1) - 1);
    out.set(key, { ...e, ...(await seriesWindow(db, runId, key, from, to, q.buckets)) });
  }
  return Object.fromEntries(out);
}

async function seriesWindow(db: Db, runId: string, key: string, from: number, to: number, budget: number) {
  if (from > to) return { raw: true, points: [] };
  let items = await readBuckets(db, runId, key, from, to, coarsestWidth(WIDTHS, to - from + 1, budget));
  if (items.reduce((n, b) => n + b.count, 0) > budget) return { raw: false, points: mergeBuckets(items, from, to, budget).map(toPoint) };
  // Few enough to draw every point; a sparse key can still have landed in multi-point buckets.
  if (items.some((b) => b.count > 1)) items = await readBuckets(db, runId, key, from, to, null);
  return { raw: true, points: items.map(toPoint) };
}

/** Points a rollback undid, by key, for drawing beneath the live series. */
export async function supersededHistory(db: Db, runId: string, maxPoints: number): Promise<Record<string, (SeriesPoint & { attempt: number })[]>> {
  const rows = await db.supersededMetric.findMany({
    where: { runId },
    orderBy: [{ key: "asc" }, { step: "asc" }],
    select: { key: true, step: true, value: true, wallTime: true, attempt: true },
  });
  return downsampledByKey(rows.map(({ key, ...point }) => ({ key, point })), maxPoints);
}

/** The newest value of each key, for the runs table. */
export async function latestValues(db: Db, runId: string, keys: string[]): Promise<Record<string, number | null>> {
  const out = new Map<string, number | null>();
  for (const key of keys) {
    const row = await db.metric.findFirst({ where: { runId, key }, orderBy: { step: "desc" }, select: { value: true } });
    if (row) out.set(key, row.value);
  }
  return Object.fromEntries(out);
}

/**
 * Points grouped by metric key, each series downsampled. Keys come from trainers ("__proto__" and
 * "constructor" are valid metric keys), so they are grouped in a Map and turned into an object
 * with Object.fromEntries, which defines own properties and never reaches a prototype.
 */
function downsampledByKey<P extends SeriesPoint>(rows: { key: string; point: P }[], maxPoints: number): Record<string, P[]> {
  const byKey = new Map<string, P[]>();
  for (const { key, point } of rows) {
    const series = byKey.get(key);
    if (series) series.push(point);
    else byKey.set(key, [point]);
  }
  return Object.fromEntries([...byKey].map(([key, series]) => [key, downsampleMinMax(series, maxPoints)]));
}
