import type { MetricPoint } from "../../../lib/protocol";
import type { Db } from "../../db/db";

/** The last `perKey` stored points of each of a run's metric keys before a step, oldest first (the Watch's seed). */
export async function recentHistory(db: Db, runId: string, beforeStep: number, perKey: number): Promise<MetricPoint[]> {
  const rows = await db.$queryRaw<MetricPoint[]>`
    SELECT "step", "key", "value", "wallTime" FROM (
      SELECT "step", "key", "value", "wallTime", ROW_NUMBER() OVER (PARTITION BY "key" ORDER BY "step" DESC) AS "n"
      FROM "Metric" WHERE "runId" = ${runId} AND "step" < ${beforeStep}
    ) AS "recent" WHERE "n" <= ${perKey} ORDER BY "step", "key"`;
  return rows.map((r) => ({ step: Number(r.step), key: r.key, value: r.value === null ? null : Number(r.value), wallTime: Number(r.wallTime) }));
}
