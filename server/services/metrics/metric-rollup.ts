import type { Bucket } from "../../../lib/downsample";
import { Prisma } from "../../db/db";
import type { Db } from "../../db/db";
import type { Sql } from "./sql";

/**
 * Bucket widths in steps, finest first, each 4× the one below. A chart query takes the coarsest
 * width that still gives ≥ budget buckets over its range, so it reads fewer than 4 × budget rows,
 * and a range too narrow for the finest width holds fewer than 4 × budget raw points. Rows cost
 * about 3 µs each through Prisma here (64 k rows: 200 ms), so a ratio of 4 keeps the default query
 * near 10 ms, where widths 64, 4096, 262144 could read 64 × budget rows. The price is nine widths:
 * a third of a rollup row per point, and nine rows to keep per key (rollup-state.ts). 4⁹ = 262,144 leaves a
 * handful of rows per key at a million steps, which makes extents and key lists cheap.
 * Changing this list needs a migration that rebuilds MetricRollup.
 */
export const WIDTHS = [4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144] as const;
const TOP = WIDTHS[WIDTHS.length - 1];

/**
 * Runs a read: through Prisma on the server's client, or through a metric driver on the query
 * thread (metric-read-worker.ts), which skips Prisma's few µs per row. The SQL is written once,
 * with `?` placeholders, in the subset both engines speak.
 */
export type Reads = <R>(sql: Sql) => Promise<R[]>;
export const readsOf = (source: Db | Reads): Reads =>
  typeof source === "function" ? source : <R>(sql: Sql) => source.$queryRaw<R[]>(new Prisma.Sql(sql.text.split("?"), sql.params as never[]));
const marks = (n: number) => Array.from({ length: n }, () => "?").join(", ");

// The write side (recomputes, rollbacks, the writer's incremental buckets) is in rollup-sql.ts,
// rollup-state.ts and metric-store.ts; what is here reads.

export interface Extent {
  minStep: number;
  maxStep: number;
  count: number;
}

/** Each key's first and last step and its number of points, from the few rows of the top width. */
export async function rollupExtents(source: Db | Reads, runId: string, keys: string[]): Promise<Map<string, Extent>> {
  const rows = await readsOf(source)<{ key: string; minStep: number; maxStep: number; count: number | bigint | string }>({
    text: `SELECT "key", MIN("firstStep") AS "minStep", MAX("lastStep") AS "maxStep", SUM("count") AS "count"
      FROM "MetricRollup" WHERE "runId" = ? AND "width" = ${TOP} AND "key" IN (${marks(keys.length)})
      GROUP BY "key"`,
    params: [runId, ...keys],
  });
  return new Map(rows.map((r) => [r.key, { minStep: Number(r.minStep), maxStep: Number(r.maxStep), count: Number(r.count) }]));
}

type Row = Omit<Bucket, "count" | "nanCount"> & { count: number | bigint; nanCount: number | bigint };

const rawBuckets = (runId: string, key: string, from: number, to: number): Sql => ({
  text: `SELECT "step" AS "fromStep", "step" AS "toStep", "value" AS "min", "value" AS "max", "value" AS "last", "wallTime",
      1 AS "count", CASE WHEN "value" IS NULL THEN 1 ELSE 0 END AS "nanCount"
    FROM "Metric" WHERE "runId" = ? AND "key" = ? AND "step" >= ? AND "step" <= ?`,
  params: [runId, key, from, to],
});

/**
 * The steps [from, to] of one key as step-sorted buckets: raw points when width is null, else the
 * width's buckets that lie wholly inside the range plus raw points for the partial ones at its
 * edges, so nothing outside the range leaks into a band.
 */
export async function readBuckets(source: Db | Reads, runId: string, key: string, from: number, to: number, width: number | null): Promise<Bucket[]> {
  let query = rawBuckets(runId, key, from, to);
  query = { text: `${query.text} ORDER BY "fromStep"`, params: query.params };
  if (width !== null) {
    const first = Math.ceil(from / width);
    const end = Math.floor((to + 1) / width);
    const before = rawBuckets(runId, key, from, first * width - 1);
    const after = rawBuckets(runId, key, end * width, to);
    query = {
      text: `${before.text}
        UNION ALL
        SELECT "firstStep", "lastStep", "min", "max", "last", "lastWallTime", "count", "nanCount" FROM "MetricRollup"
        WHERE "runId" = ? AND "width" = ${width} AND "key" = ? AND "bucket" >= ? AND "bucket" < ?
        UNION ALL
        ${after.text}
        ORDER BY "fromStep"`,
      params: [...before.params, runId, key, first, end, ...after.params],
    };
  }
  const rows = await readsOf(source)<Row>(query);
  return rows.map((r) => ({ ...r, count: Number(r.count), nanCount: Number(r.nanCount) }));
}

/**
 * The first step of a key whose wall time is ≥ t (> t when strict), or null when none is. It walks
 * down the widths, at each taking the first bucket past t among the 4 under the one chosen above,
 * so it reads a few rows per width. That assumes wall time grows with step, which holds within a
 * run: a rollback moves the later points away and a resume overwrites them with newer times.
 */
export async function firstStepAtTime(source: Db | Reads, runId: string, key: string, t: number, strict: boolean): Promise<number | null> {
  const read = readsOf(source);
  const past = strict ? ">" : ">=";
  let lo = 0;
  // Buckets are 32-bit integers; PostgreSQL refuses a bound number beyond that where it compares one.
  let hi = 2 ** 31 - 1;
  for (let level = WIDTHS.length - 1; level >= 0; level--) {
    const [row] = await read<{ bucket: number }>({
      text: `SELECT "bucket" FROM "MetricRollup"
        WHERE "runId" = ? AND "width" = ${WIDTHS[level]} AND "key" = ? AND "bucket" >= ? AND "bucket" <= ? AND "lastWallTime" ${past} ?
        ORDER BY "bucket" LIMIT 1`,
      params: [runId, key, lo, hi, t],
    });
    if (!row) return null;
    const fan = level > 0 ? WIDTHS[level] / WIDTHS[level - 1] : WIDTHS[0];
    lo = Number(row.bucket) * fan;
    hi = lo + fan - 1;
  }
  const [row] = await read<{ step: number }>({
    text: `SELECT "step" FROM "Metric" WHERE "runId" = ? AND "key" = ? AND "step" >= ? AND "step" <= ? AND "wallTime" ${past} ?
      ORDER BY "step" LIMIT 1`,
    params: [runId, key, lo, hi, t],
  });
  return row ? Number(row.step) : null;
}
