import { WIDTHS } from "./metric-rollup";
import type { Sql } from "./sql";

/** Widths are literals: a bound JS number may arrive as REAL and turn `/` into real division. */

export const TOP = WIDTHS[WIDTHS.length - 1];
const marks = (n: number) => Array.from({ length: n }, () => "?").join(", ");

export const ROLLUP_COLUMNS = ["runId", "width", "key", "bucket", "firstStep", "lastStep", "min", "max", "last", "lastWallTime", "count", "nanCount"] as const;
const COLUMNS = `(${ROLLUP_COLUMNS.map((c) => `"${c}"`).join(", ")})`;
export const ROLLUP_UPSERT = `ON CONFLICT ("runId", "width", "key", "bucket") DO UPDATE SET
  "firstStep" = excluded."firstStep", "lastStep" = excluded."lastStep", "min" = excluded."min", "max" = excluded."max",
  "last" = excluded."last", "lastWallTime" = excluded."lastWallTime", "count" = excluded."count", "nanCount" = excluded."nanCount"`;
export const ROLLUP_INSERT = `INSERT INTO "MetricRollup" ${COLUMNS}`;
export const POINT_INSERT = `INSERT INTO "Metric" ("runId", "key", "step", "value", "wallTime")`;
export const POINT_UPSERT = `ON CONFLICT ("runId", "key", "step") DO UPDATE SET "value" = excluded."value", "wallTime" = excluded."wallTime"`;

/**
 * Recomputes the buckets [fromBucket, toBucket] of WIDTHS[level] for the keys, from the raw points
 * for the finest width and from the width below for the others, so each bucket costs at most 4
 * rows to read. A recompute rather than a merge: a re-sent or rewritten point (a resume redoes
 * steps) and a rollback leave the bucket exactly as its points say.
 */
function recompute(runId: string, keyIs: Sql, level: number, fromBucket: number, toBucket: number): Sql {
  const width = WIDTHS[level];
  if (level === 0) {
    return {
      text: `${ROLLUP_INSERT}
        SELECT g."runId", ${width}, g."key", g."bucket", g."firstStep", g."lastStep", g."min", g."max", m."value", m."wallTime", g."count", g."nanCount"
        FROM (SELECT "runId", "key", "step" / ${width} AS "bucket", MIN("step") AS "firstStep", MAX("step") AS "lastStep",
                MIN("value") AS "min", MAX("value") AS "max", COUNT(*) AS "count", COUNT(*) - COUNT("value") AS "nanCount"
              FROM "Metric"
              WHERE "runId" = ? AND "key" ${keyIs.text} AND "step" >= ? AND "step" < ?
              GROUP BY "runId", "key", "step" / ${width}) g
        JOIN "Metric" m ON m."runId" = g."runId" AND m."key" = g."key" AND m."step" = g."lastStep"
        WHERE true ${ROLLUP_UPSERT}`,
      params: [runId, ...keyIs.params, fromBucket * width, (toBucket + 1) * width],
    };
  }
  const below = WIDTHS[level - 1];
  const ratio = width / below;
  return {
    text: `${ROLLUP_INSERT}
      SELECT g."runId", ${width}, g."key", g."bucket", g."firstStep", g."lastStep", g."min", g."max", c."last", c."lastWallTime", g."count", g."nanCount"
      FROM (SELECT "runId", "key", "bucket" / ${ratio} AS "bucket", MIN("firstStep") AS "firstStep", MAX("lastStep") AS "lastStep",
              MIN("min") AS "min", MAX("max") AS "max", SUM("count") AS "count", SUM("nanCount") AS "nanCount"
            FROM "MetricRollup"
            WHERE "runId" = ? AND "width" = ${below} AND "key" ${keyIs.text} AND "bucket" >= ? AND "bucket" < ?
            GROUP BY "runId", "key", "bucket" / ${ratio}) g
      JOIN "MetricRollup" c ON c."runId" = g."runId" AND c."width" = ${below} AND c."key" = g."key" AND c."bucket" = g."lastStep" / ${below}
      WHERE true ${ROLLUP_UPSERT}`,
    params: [runId, ...keyIs.params, fromBucket * ratio, (toBucket + 1) * ratio],
  };
}

/** Statements that bring every width's buckets over the steps [fromStep, toStep] of the keys up to date. */
export function refreshRollups(runId: string, keys: string[], fromStep: number, toStep: number): Sql[] {
  const keyIs = { text: `IN (${marks(keys.length)})`, params: keys };
  return WIDTHS.map((w, level) => recompute(runId, keyIs, level, Math.floor(fromStep / w), Math.floor(toStep / w)));
}

/**
 * A rollback: the run's points after afterStep move to SupersededMetric; then buckets wholly after
 * the step go, and each width's boundary bucket is recomputed. The run's keys come from the top
 * width, whose rows are an index prefix; it is trimmed last so the finer deletes still see them.
 */
export function supersede(runId: string, afterStep: number, attempt: number): Sql[] {
  const keyIs = { text: `IN (SELECT "key" FROM "MetricRollup" WHERE "runId" = ? AND "width" = ${TOP})`, params: [runId] };
  return [
    {
      text: `INSERT INTO "SupersededMetric" ("runId", "key", "step", "value", "wallTime", "attempt")
        SELECT "runId", "key", "step", "value", "wallTime", CAST(? AS INTEGER) FROM "Metric" WHERE "runId" = ? AND "step" > ?`,
      params: [attempt, runId, afterStep],
    },
    { text: `DELETE FROM "Metric" WHERE "runId" = ? AND "step" > ?`, params: [runId, afterStep] },
    ...WIDTHS.map((w) => ({
      text: `DELETE FROM "MetricRollup" WHERE "runId" = ? AND "width" = ${w} AND "key" ${keyIs.text} AND "bucket" >= ? AND "firstStep" > ?`,
      params: [runId, ...keyIs.params, Math.floor(afterStep / w), afterStep],
    })),
    ...WIDTHS.map((w, level) => recompute(runId, keyIs, level, Math.floor(afterStep / w), Math.floor(afterStep / w))),
  ];
}

/** Each key's last step and number of points, from the few rows of the top width, for the runs. */
export function extents(runIds: string[]): Sql {
  return {
    text: `SELECT "runId", "key", MAX("lastStep") AS "lastStep", SUM("count") AS "count" FROM "MetricRollup"
      WHERE "runId" IN (${marks(runIds.length)}) AND "width" = ${TOP} GROUP BY "runId", "key"`,
    params: runIds,
  };
}

/** Keys per statement in openBuckets: SQLite takes at most 500 terms in one compound SELECT. */
const KEYS_PER_LOOKUP = 40;

/** The bucket holding each key's last step at every width: the buckets still being filled. */
export function openBuckets(runId: string, keys: { key: string; lastStep: number }[]): Sql[] {
  const out: Sql[] = [];
  for (let k = 0; k < keys.length; k += KEYS_PER_LOOKUP) {
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const { key, lastStep } of keys.slice(k, k + KEYS_PER_LOOKUP))
      for (const w of WIDTHS) {
        parts.push(`SELECT "key", "width", "bucket", "firstStep", "lastStep", "min", "max", "last", "lastWallTime", "count", "nanCount"
          FROM "MetricRollup" WHERE "runId" = ? AND "width" = ${w} AND "key" = ? AND "bucket" = ?`);
        params.push(runId, key, Math.floor(lastStep / w));
      }
    out.push({ text: parts.join("\nUNION ALL\n"), params });
  }
  return out;
}

/**
 * The runs' summary columns from their stored points, as the runs table shows them: the step
 * after the newest loss, the newest finite loss, the newest throughput. A column with nothing to
 * take it from keeps its value.
 */
export function summaries(runIds: string[]): Sql[] {
  return runIds.map((runId) => ({
    text: `UPDATE "Run" SET
      "step" = COALESCE((SELECT MAX("step") + 1 FROM "Metric" WHERE "runId" = ? AND "key" = 'loss'), "step"),
      "lastLoss" = COALESCE((SELECT "value" FROM "Metric" WHERE "runId" = ? AND "key" = 'loss' AND "value" IS NOT NULL ORDER BY "step" DESC LIMIT 1), "lastLoss"),
      "tokensPerSec" = CASE WHEN EXISTS (SELECT 1 FROM "Metric" WHERE "runId" = ? AND "key" = 'tokens_per_sec')
        THEN (SELECT "value" FROM "Metric" WHERE "runId" = ? AND "key" = 'tokens_per_sec' ORDER BY "step" DESC LIMIT 1) ELSE "tokensPerSec" END
      WHERE "id" = ?`,
    params: [runId, runId, runId, runId, runId],
  }));
}
