import { Prisma } from "../../db/db";
import type { Db } from "../../db/db";
import { WIDTHS } from "./metric-rollup";

export interface MetricKeyInfo {
  key: string;
  minStep: number;
  maxStep: number;
  count: number;
}

const TOP = Prisma.raw(String(WIDTHS[WIDTHS.length - 1]));

/**
 * Every key a run has logged with its extent, from the few rows of the widest rollup, and the wall
 * time of its first point (each key's first step through the (run, key, step) index), so a page
 * knows its charts and its relative-time origin without reading the series.
 */
export async function runMetricKeys(db: Db, runId: string): Promise<{ keys: MetricKeyInfo[]; startTime: number | null }> {
  // A scalar subquery per key, not a join: SQLite would otherwise walk all the run's points.
  const rows = await db.$queryRaw<{ key: string; minStep: unknown; maxStep: unknown; count: unknown; firstWallTime: unknown }[]>`
    SELECT f."key", f."minStep", f."maxStep", f."count",
      (SELECT m."wallTime" FROM "Metric" m WHERE m."runId" = ${runId} AND m."key" = f."key" AND m."step" = f."minStep") AS "firstWallTime"
    FROM (
      SELECT "key", MIN("firstStep") AS "minStep", MAX("lastStep") AS "maxStep", SUM("count") AS "count"
      FROM "MetricRollup" WHERE "runId" = ${runId} AND "width" = ${TOP} GROUP BY "key"
    ) AS f ORDER BY f."key"`;
  const starts = rows.flatMap((r) => (r.firstWallTime === null ? [] : [Number(r.firstWallTime)]));
  return {
    keys: rows.map((r) => ({ key: r.key, minStep: Number(r.minStep), maxStep: Number(r.maxStep), count: Number(r.count) })),
    startTime: starts.length ? Math.min(...starts) : null,
  };
}
