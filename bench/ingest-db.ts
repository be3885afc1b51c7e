// The databases of bench/ingest.ts: a fresh one per engine, the live runs the simulated trainers
// speak for, and the raw insert ceiling of the Metric table's shape on the same database.
import crypto from "node:crypto";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { RunConfig } from "../lib/run-config";

export type Engine = "sqlite" | "postgresql";
export interface LiveRun {
  runId: string;
  token: string;
}

export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** A uniquely named, empty PostgreSQL database; returns its URL. */
export async function createPgDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${crypto.randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect().catch((e: Error) => {
    throw new Error(`cannot reach PostgreSQL at ${PG_ADMIN_URL} (${e.message}); set BENCH_PG_URL to an admin connection`);
  });
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Queued runs with tokens of their own, written straight into the database as tests/helpers/live-launch.ts does. */
export async function createLiveRuns(engine: Engine, where: string, n: number): Promise<LiveRun[]> {
  const config = RunConfig.parse({ name: "bench-ingest", steps: 1_000_000 });
  const runs = Array.from({ length: n }, (_, i) => ({ runId: `bench${i}-${crypto.randomBytes(6).toString("hex")}`, token: crypto.randomBytes(24).toString("hex") }));
  if (engine === "sqlite") {
    const db = new Database(path.join(where, "app.db"));
    const insert = db.prepare(`INSERT INTO "Run" ("id", "name", "status", "config", "token", "totalSteps", "createdAt") VALUES (?, ?, 'queued', ?, ?, ?, ?)`);
    for (const [i, r] of runs.entries()) insert.run(r.runId, `bench-ingest-${i}`, JSON.stringify(config), r.token, config.steps, new Date().toISOString().replace("Z", "+00:00"));
    db.close();
    return runs;
  }
  const c = new pg.Client({ connectionString: where });
  await c.connect();
  for (const [i, r] of runs.entries())
    await c.query(`INSERT INTO "Run" ("id", "name", "status", "config", "token", "totalSteps", "createdAt") VALUES ($1, $2, 'queued', $3, $4, $5, now())`, [
      r.runId, `bench-ingest-${i}`, JSON.stringify(config), r.token, config.steps,
    ]);
  await c.end();
  return runs;
}

/** Whether the server migrated this PostgreSQL database (else it is not using it). */
export async function pgHasSchema(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(`SELECT to_regclass('"Metric"') IS NOT NULL AS "has"`);
    return r.rows[0].has === true;
  } finally {
    await c.end();
  }
}

const CEILING_KEYS = ["loss", "lr", "grad_norm", "tokens_per_sec", "model_gflops", "batch_size"];
const ROWS_PER_TX = 10_000;

/** Rows in the order a trainer logs them: `keys` keys at each step of consecutive steps. */
function* rows(runIds: string[]) {
  for (let step = 0; ; step++) for (const runId of runIds) for (const key of CEILING_KEYS) yield { runId, key, step, value: Math.sin(step), wallTime: 1.7e9 + step };
}

/**
 * Multi-row prepared inserts straight into a scratch copy of the Metric table (its columns,
 * indexes and foreign key), 10,000 rows per transaction, for `seconds`; rows per second. The same
 * journal mode and synchronous setting as the server's metric writer, so the ratio is fair.
 */
export function sqliteCeiling(dataDir: string, runIds: string[], seconds: number, statementRows = 500): number {
  const db = new Database(path.join(dataDir, "app.db"));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    const ddl = db.prepare(`SELECT "sql" FROM "sqlite_master" WHERE "tbl_name" = 'Metric' AND "sql" IS NOT NULL ORDER BY "type" DESC`).all() as { sql: string }[];
    db.exec(`DROP TABLE IF EXISTS "MetricCeiling"`);
    for (const { sql } of ddl) db.exec(sql.replaceAll(`"Metric`, `"MetricCeiling`));
    const values = Array.from({ length: statementRows }, () => "(?, ?, ?, ?, ?)").join(", ");
    const insert = db.prepare(`INSERT INTO "MetricCeiling" ("runId", "key", "step", "value", "wallTime") VALUES ${values}`);
    const source = rows(runIds);
    const params: unknown[] = new Array(statementRows * 5);
    const tx = db.transaction(() => {
      for (let s = 0; s < ROWS_PER_TX / statementRows; s++) {
        for (let i = 0; i < statementRows; i++) {
          const r = source.next().value!;
          params[i * 5] = r.runId; params[i * 5 + 1] = r.key; params[i * 5 + 2] = r.step; params[i * 5 + 3] = r.value; params[i * 5 + 4] = r.wallTime;
        }
        insert.run(params);
      }
    });
    let written = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) {
      tx();
      written += ROWS_PER_TX;
    }
    const rate = written / ((performance.now() - start) / 1000);
    db.exec(`DROP TABLE "MetricCeiling"`);
    return rate;
  } finally {
    db.close();
  }
}

/** The same against PostgreSQL: one INSERT … SELECT FROM unnest(…) of 10,000 rows per transaction. */
export async function pgCeiling(url: string, runIds: string[], seconds: number): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP TABLE IF EXISTS "MetricCeiling"`);
    await c.query(`CREATE TABLE "MetricCeiling" (LIKE "Metric" INCLUDING ALL)`);
    const fks = await c.query<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS "def" FROM pg_constraint WHERE conrelid = '"Metric"'::regclass AND contype = 'f'`);
    for (const { def } of fks.rows) await c.query(`ALTER TABLE "MetricCeiling" ADD ${def}`);
    const source = rows(runIds);
    let written = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) {
      const cols: [string[], string[], number[], number[], number[]] = [[], [], [], [], []];
      for (let i = 0; i < ROWS_PER_TX; i++) {
        const r = source.next().value!;
        cols[0].push(r.runId); cols[1].push(r.key); cols[2].push(r.step); cols[3].push(r.value); cols[4].push(r.wallTime);
      }
      await c.query(`INSERT INTO "MetricCeiling" ("runId", "key", "step", "value", "wallTime")
        SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::float8[], $5::float8[])`, cols);
      written += ROWS_PER_TX;
    }
    const rate = written / ((performance.now() - start) / 1000);
    await c.query(`DROP TABLE "MetricCeiling"`);
    return rate;
  } finally {
    await c.end();
  }
}
