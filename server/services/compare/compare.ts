import { TASKS } from "../../../lib/eval/tasks";
import { Prisma } from "../../db/db";
import type { Db } from "../../db/db";
import { startsWith } from "../../db/dialect";
import { toSummary, type RunSummary } from "../hub/run-summary";
import { metricRange, type RangeSeries } from "../metrics/metrics";

/** Metrics every run logs, in the order the compare page charts them. */
export const BASE_METRICS = ["loss", "val_loss", "val_bpb", "lr", "grad_norm", "tokens_per_sec"] as const;

export interface CompareRow {
  runId: string;
  name: string;
  status: RunSummary["status"];
  paramCount: number | null;
  step: number;
  totalSteps: number;
  bestValLoss: { value: number; step: number } | null;
  /** Latest value of each benchmark metric, keyed `eval/<task>/<metric>`. */
  evals: Record<string, { value: number | null; step: number }>;
  tokensSeen: number;
  medianTokensPerSec: number | null;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** Base metrics plus the benchmark metrics the runs' configs ask for, in a stable order. */
export function metricKeys(runs: RunSummary[]): string[] {
  const tasks = [...new Set(runs.flatMap((r) => r.config.evals.map((e) => e.task)))].sort();
  return [...BASE_METRICS, ...tasks.flatMap((t) => TASKS[t].metrics.map((m) => `eval/${t}/${m}`))];
}

export async function findRuns(db: Db, runIds: string[]): Promise<{ runs: RunSummary[]; missing: string[] }> {
  const rows = await db.run.findMany({ where: { id: { in: runIds } } });
  const byId = new Map(rows.map((r) => [r.id, toSummary(r)]));
  return { runs: runIds.flatMap((id) => byId.get(id) ?? []), missing: runIds.filter((id) => !byId.has(id)) };
}

/**
 * One summary row per run, in the order asked, from four grouped queries over all the runs at
 * once; the database does the minimum, median and latest so no series is loaded here.
 * Window functions keep the SQL valid on both SQLite and PostgreSQL; the benchmark keys are
 * picked by their prefix (server/db/dialect.ts), on SQLite as a range the index serves.
 */
export async function compareSummary(db: Db, runIds: string[]): Promise<{ rows: CompareRow[]; missing: string[] }> {
  const { runs, missing } = await findRuns(db, runIds);
  if (runs.length === 0) return { rows: [], missing };
  const ids = Prisma.join(runs.map((r) => r.id));
  const [best, medians, evals, batches] = await Promise.all([
    db.$queryRaw<{ runId: string; step: unknown; value: unknown }[]>`
      SELECT "runId", "step", "value" FROM (
        SELECT "runId", "step", "value", ROW_NUMBER() OVER (PARTITION BY "runId" ORDER BY "value", "step") AS "rank"
        FROM "Metric" WHERE "key" = 'val_loss' AND "value" IS NOT NULL AND "runId" IN (${ids})
      ) AS "ranked" WHERE "rank" = 1`,
    db.$queryRaw<{ runId: string; median: unknown }[]>`
      SELECT "runId", AVG("value") AS "median" FROM (
        SELECT "runId", "value", ROW_NUMBER() OVER (PARTITION BY "runId" ORDER BY "value") AS "rank", COUNT(*) OVER (PARTITION BY "runId") AS "n"
        FROM "Metric" WHERE "key" = 'tokens_per_sec' AND "value" IS NOT NULL AND "runId" IN (${ids})
      ) AS "ranked" WHERE "rank" IN (("n" + 1) / 2, ("n" + 2) / 2) GROUP BY "runId"`,
    db.$queryRaw<{ runId: string; key: string; step: unknown; value: unknown }[]>`
      SELECT m."runId", m."key", m."step", m."value" FROM "Metric" m JOIN (
        SELECT "runId", "key", MAX("step") AS "step" FROM "Metric"
        WHERE "runId" IN (${ids}) AND ${startsWith(db, `"key"`, "eval/")} AND "key" NOT LIKE '%/n' GROUP BY "runId", "key"
      ) AS "latest" ON m."runId" = "latest"."runId" AND m."key" = "latest"."key" AND m."step" = "latest"."step"`,
    db.$queryRaw<{ runId: string; mean: unknown }[]>`
      SELECT "runId", AVG("value") AS "mean" FROM "Metric" WHERE "key" = 'batch_size' AND "runId" IN (${ids}) GROUP BY "runId"`,
  ]);
  const bestOf = new Map(best.map((b) => [b.runId, { value: Number(b.value), step: Number(b.step) }]));
  const medianOf = new Map(medians.map((m) => [m.runId, num(m.median)]));
  const batchOf = new Map(batches.map((b) => [b.runId, num(b.mean)]));
  // Metric keys come from trainers: grouped in Maps, so "__proto__" or "constructor" is a key like any other.
  const evalsOf = new Map<string, Map<string, { value: number | null; step: number }>>();
  for (const e of evals) {
    const row = evalsOf.get(e.runId) ?? new Map();
    row.set(e.key, { value: num(e.value), step: Number(e.step) });
    evalsOf.set(e.runId, row);
  }
  const rows = runs.map((r): CompareRow => ({
    runId: r.id,
    name: r.name,
    status: r.status,
    paramCount: r.paramCount,
    step: r.step,
    totalSteps: r.totalSteps,
    bestValLoss: bestOf.get(r.id) ?? null,
    evals: Object.fromEntries(evalsOf.get(r.id) ?? []),
    // The mean logged batch follows a batch ramp; without logged batches the configured one is used.
    tokensSeen: Math.round(r.step * (batchOf.get(r.id) ?? r.config.batchSize) * r.config.contextLength),
    medianTokensPerSec: medianOf.get(r.id) ?? null,
  }));
  return { rows, missing };
}

/**
 * Each run's series for the given keys over the whole run, read from the rollups as metric.range
 * does: about maxPoints / 2 spans (each drawn as its min and max), every spike kept. Unknown runs
 * come back with empty series.
 */
export async function compareHistory(
  db: Db,
  runIds: string[],
  opts: { keys: string[]; maxPoints: number },
): Promise<Record<string, Record<string, RangeSeries>>> {
  const buckets = Math.max(10, Math.min(5000, Math.round(opts.maxPoints / 2)));
  const all = await Promise.all(runIds.map(async (id) => [id, await metricRange(db, id, { keys: opts.keys, buckets })] as const));
  return Object.fromEntries(all);
}

/** Every run's newest value of one metric, for sorting the runs table by it. */
export async function latestByRun(db: Db, key: string): Promise<Record<string, number | null>> {
  const rows = await db.$queryRaw<{ runId: string; value: unknown }[]>`
    SELECT m."runId", m."value" FROM "Metric" m JOIN (
      SELECT "runId", MAX("step") AS "step" FROM "Metric" WHERE "key" = ${key} GROUP BY "runId"
    ) AS "latest" ON m."runId" = "latest"."runId" AND m."step" = "latest"."step"
    WHERE m."key" = ${key}`;
  return Object.fromEntries(rows.map((r) => [r.runId, num(r.value)]));
}
