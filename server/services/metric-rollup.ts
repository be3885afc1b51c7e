import { Prisma } from "../../generated/prisma/client";
import type { Bucket } from "../../lib/downsample";
import type { Db } from "../db";

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

const lit = (n: number) => Prisma.raw(String(n));

// The write side (recomputes, rollbacks, the writer's incremental buckets) is in rollup-sql.ts,
// rollup-state.ts and metric-store.ts; what is here reads.

export interface Extent {
  minStep: number;
  maxStep: number;
  count: number;
}

/** Each key's first and last step and its number of points, from the few rows of the top width. */
export async function rollupExtents(db: Db, runId: string, keys: string[]): Promise<Map<string, Extent>> {
  const rows = await db.$queryRaw<{ key: string; minStep: number; maxStep: number; count: number | bigint }[]>`
    SELECT "key", MIN("firstStep") AS "minStep", MAX("lastStep") AS "maxStep", SUM("count") AS "count"
    FROM "MetricRollup" WHERE "runId" = ${runId} AND "width" = ${lit(TOP)} AND "key" IN (${Prisma.join(keys)})
    GROUP BY "key"`;
  return new Map(rows.map((r) => [r.key, { minStep: Number(r.minStep), maxStep: Number(r.maxStep), count: Number(r.count) }]));
}

type Row = Omit<Bucket, "count" | "nanCount"> & { count: number | bigint; nanCount: number | bigint };

const rawBuckets = (runId: string, key: string, from: number, to: number) => Prisma.sql`
  SELECT "step" AS "fromStep", "step" AS "toStep", "value" AS "min", "value" AS "max", "value" AS "last", "wallTime",
    1 AS "count", CASE WHEN "value" IS NULL THEN 1 ELSE 0 END AS "nanCount"
  FROM "Metric" WHERE "runId" = ${runId} AND "key" = ${key} AND "step" >= ${from} AND "step" <= ${to}`;

/**
 * The steps [from, to] of one key as step-sorted buckets: raw points when width is null, else the
 * width's buckets that lie wholly inside the range plus raw points for the partial ones at its
 * edges, so nothing outside the range leaks into a band.
 */
export async function readBuckets(db: Db, runId: string, key: string, from: number, to: number, width: number | null): Promise<Bucket[]> {
  let query = Prisma.sql`${rawBuckets(runId, key, from, to)} ORDER BY "fromStep"`;
  if (width !== null) {
    const first = Math.ceil(from / width);
    const end = Math.floor((to + 1) / width);
    query = Prisma.sql`${rawBuckets(runId, key, from, first * width - 1)}
      UNION ALL
      SELECT "firstStep", "lastStep", "min", "max", "last", "lastWallTime", "count", "nanCount" FROM "MetricRollup"
      WHERE "runId" = ${runId} AND "width" = ${lit(width)} AND "key" = ${key} AND "bucket" >= ${first} AND "bucket" < ${end}
      UNION ALL
      ${rawBuckets(runId, key, end * width, to)}
      ORDER BY "fromStep"`;
  }
  const rows = await db.$queryRaw<Row[]>(query);
  return rows.map((r) => ({ ...r, count: Number(r.count), nanCount: Number(r.nanCount) }));
}

/**
 * The first step of a key whose wall time is ≥ t (> t when strict), or null when none is. It walks
 * down the widths, at each taking the first bucket past t among the 4 under the one chosen above,
 * so it reads a few rows per width. That assumes wall time grows with step, which holds within a
 * run: a rollback moves the later points away and a resume overwrites them with newer times.
 */
export async function firstStepAtTime(db: Db, runId: string, key: string, t: number, strict: boolean): Promise<number | null> {
  const past = strict ? Prisma.sql`> ${t}` : Prisma.sql`>= ${t}`;
  let lo = 0;
  let hi = Number.MAX_SAFE_INTEGER;
  for (let level = WIDTHS.length - 1; level >= 0; level--) {
    const [row] = await db.$queryRaw<{ bucket: number }[]>`
      SELECT "bucket" FROM "MetricRollup"
      WHERE "runId" = ${runId} AND "width" = ${lit(WIDTHS[level])} AND "key" = ${key} AND "bucket" >= ${lo} AND "bucket" <= ${hi}
        AND "lastWallTime" ${past}
      ORDER BY "bucket" LIMIT 1`;
    if (!row) return null;
    const fan = level > 0 ? WIDTHS[level] / WIDTHS[level - 1] : WIDTHS[0];
    lo = Number(row.bucket) * fan;
    hi = lo + fan - 1;
  }
  const [row] = await db.$queryRaw<{ step: number }[]>`
    SELECT "step" FROM "Metric" WHERE "runId" = ${runId} AND "key" = ${key} AND "step" >= ${lo} AND "step" <= ${hi} AND "wallTime" ${past}
    ORDER BY "step" LIMIT 1`;
  return row ? Number(row.step) : null;
}
