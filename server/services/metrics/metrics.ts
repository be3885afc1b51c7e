import { coarsestWidth, downsampleMinMax, mergeBuckets, type Bucket, type SpanPoint } from "../../../lib/downsample";
import type { Db } from "../../db/db";
import { firstStepAtTime, readBuckets, readsOf, type Reads, rollupExtents, WIDTHS } from "./metric-rollup";

export { MetricWriter } from "./metric-writer";

export type SeriesPoint = { step: number; value: number | null; wallTime: number };

/** A run's stored series, each reduced to about `maxPoints` points with spikes kept. */
export async function metricHistory(
  source: Db | Reads,
  runId: string,
  opts: { keys?: string[]; maxPoints: number },
): Promise<Record<string, SeriesPoint[]>> {
  const keyIs = opts.keys ? ` AND "key" IN (${opts.keys.map(() => "?").join(", ")})` : "";
  const rows = await readsOf(source)<{ key: string; step: number; value: number | null; wallTime: number }>({
    text: `SELECT "key", "step", "value", "wallTime" FROM "Metric" WHERE "runId" = ?${keyIs} ORDER BY "key", "step"`,
    params: [runId, ...(opts.keys ?? [])],
  });
  return downsampledByKey(rows.map((r) => ({ key: r.key, point: { step: Number(r.step), value: r.value === null ? null : Number(r.value), wallTime: Number(r.wallTime) } })), opts.maxPoints);
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
export async function metricRange(source: Db | Reads, runId: string, q: RangeQuery): Promise<Record<string, RangeSeries>> {
  const db = readsOf(source);
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

async function seriesWindow(db: Reads, runId: string, key: string, from: number, to: number, budget: number) {
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
