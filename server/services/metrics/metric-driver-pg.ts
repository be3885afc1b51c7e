import pg from "pg";
import type { MetricDriver, PointRows } from "./metric-driver-api";
import { POINT_INSERT, POINT_UPSERT, ROLLUP_INSERT, ROLLUP_UPSERT } from "./rollup-sql";
import type { RollupRows } from "./rollup-state";
import type { Sql } from "./sql";

/** `?` placeholders numbered as PostgreSQL wants them ($1, $2, …); the SQL holds no `?` of its own. */
const numbered = new Map<string, string>();
function pgText(text: string) {
  let out = numbered.get(text);
  if (out === undefined) {
    let n = 0;
    out = text.replace(/\?/g, () => `$${++n}`);
    numbered.set(text, out);
  }
  return out;
}

/**
 * One `pg` connection. Each bulk upsert is a single statement over arrays (INSERT … SELECT FROM
 * unnest(…)), whatever its size: a handful of parameters, however many rows. The rows of one
 * statement are distinct on the conflict target, as ON CONFLICT DO UPDATE needs.
 */
export async function openPg(url: string): Promise<MetricDriver> {
  /**
   * A dropped connection fails the statement under way, which fails its flush (nothing is acked);
   * the next transaction (or query, outside one) connects again.
   */
  let client: pg.Client | null = null;
  let inTransaction = false;
  const connect = async () => {
    const c = new pg.Client({ connectionString: url });
    c.on("error", (e) => {
      console.error("metric writer: PostgreSQL connection lost:", e.message);
      if (client === c) client = null;
    });
    c.on("end", () => {
      if (client === c) client = null;
    });
    await c.connect();
    client = c;
    return c;
  };
  await connect();
  const query = async (text: string, params: unknown[] = []) => {
    const c = client ?? (inTransaction ? null : await connect());
    if (!c) throw new Error("The PostgreSQL connection was lost during the transaction");
    try {
      return await c.query({ text: pgText(text), values: params });
    } catch (e) {
      // The socket's error event can come after the failed query, or not at all (a reset read):
      // a connection that failed this way is dropped now, so the next flush does not reuse it.
      if (connectionLost(e) && client === c) {
        client = null;
        c.end().catch(() => {});
      }
      throw e;
    }
  };
  return {
    engine: "postgresql",
    async begin() {
      await query("BEGIN");
      inTransaction = true;
    },
    async commit() {
      try {
        await query("COMMIT");
      } finally {
        inTransaction = false;
      }
    },
    async rollback() {
      inTransaction = false;
      if (client) await query("ROLLBACK");
    },
    async run(sql: Sql) {
      await query(sql.text, sql.params);
    },
    async all<R>(sql: Sql) {
      return (await query(sql.text, sql.params)).rows as R[];
    },
    async writePoints(r: PointRows, upsert: boolean) {
      if (r.runId.length === 0) return;
      await query(`${POINT_INSERT} SELECT * FROM unnest(?::text[], ?::text[], ?::int8[], ?::float8[], ?::float8[]) ${upsert ? POINT_UPSERT : ""}`, [r.runId, r.key, r.step, r.value, r.wallTime]);
    },
    async writeRollups(r: RollupRows, upsert: boolean) {
      if (r.length === 0) return;
      await query(
        `${ROLLUP_INSERT} SELECT * FROM unnest(?::text[], ?::int8[], ?::text[], ?::int8[], ?::int8[], ?::int8[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::int8[], ?::int8[]) ${upsert ? ROLLUP_UPSERT : ""}`,
        [r.runId, r.width, r.key, r.bucket, r.firstStep, r.lastStep, r.min, r.max, r.last, r.lastWallTime, r.count, r.nanCount],
      );
    },
    async close() {
      await client?.end();
      client = null;
    },
  };
}

/** Not an answer from the server about the statement: the socket died, or the server ended the session (SQLSTATE classes 08 and 57). */
function connectionLost(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string" && /^(08|57)/.test(code)) return true;
  return !(e instanceof pg.DatabaseError);
}
