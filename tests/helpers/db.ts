import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { PROVIDERS, type Provider } from "../../server/db/db-provider";

/**
 * The engine the tests run on: TEST_DB=postgresql gives every data directory its own fresh
 * PostgreSQL database; unset (or sqlite) keeps the SQLite file DATA_DIR/app.db.
 */
export function testProvider(): Provider {
  const v = process.env.TEST_DB || "sqlite";
  if (!(PROVIDERS as readonly string[]).includes(v)) throw new Error(`TEST_DB must be one of ${PROVIDERS.join(", ")}, not ${v}`);
  return v as Provider;
}

/** The server the test databases are made on (trust auth, a role that may create databases). */
export const PG_ADMIN_URL = process.env.TEST_PG_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
/** Test databases are named pretrain_test_<pid>_<n>, so a later run can drop those of dead processes. */
export const TEST_DB_PREFIX = "pretrain_test_";

const urlOf = (database: string) => {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
};

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Whether the test PostgreSQL answers; the reason when it does not. */
export async function pgReachable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await admin((c) => c.query("SELECT 1"));
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error).message || String(e) };
  }
}

const created = new Set<string>();
const byDataDir = new Map<string, Promise<string>>();
let serial = 0;

/** A new empty PostgreSQL database; returns its URL. Dropped when this process exits. */
export async function createPgDatabase(): Promise<string> {
  const name = `${TEST_DB_PREFIX}${process.pid}_${serial++}_${crypto.randomBytes(3).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`)).catch((e: Error) => {
    throw new Error(`TEST_DB=postgresql: cannot create a test database on ${PG_ADMIN_URL}: ${e.message}`);
  });
  if (created.size === 0) process.once("exit", dropCreated);
  created.add(name);
  return urlOf(name);
}

export async function dropPgDatabase(url: string) {
  const name = new URL(url).pathname.slice(1);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  created.delete(name);
}

// "exit" handlers run synchronously, so the drop runs in a child process that this one waits for.
function dropCreated() {
  if (created.size === 0) return;
  const script = `const pg = require("pg"); (async () => { const c = new pg.Client(process.argv[1]); await c.connect();
    for (const n of process.argv.slice(2)) await c.query('DROP DATABASE IF EXISTS "' + n + '" WITH (FORCE)'); await c.end(); })()
    .catch((e) => { console.error("dropping test databases:", e.message); process.exit(1); });`;
  spawnSync(process.execPath, ["-e", script, PG_ADMIN_URL, ...created], { stdio: "inherit", cwd: path.resolve(import.meta.dirname, "../..") });
}

/**
 * The DATABASE_URL a server (or a test opening the database itself) uses for a data directory:
 * empty on SQLite (the server takes DATA_DIR/app.db, whatever the caller's environment says); on
 * PostgreSQL one database per directory, made on first use, so a server restarted on the same
 * directory finds its data as it would with SQLite.
 */
export async function databaseEnv(dataDir: string): Promise<{ DATABASE_URL: string }> {
  if (testProvider() === "sqlite") return { DATABASE_URL: "" };
  const key = path.resolve(dataDir);
  if (!byDataDir.has(key)) byDataDir.set(key, createPgDatabase());
  return { DATABASE_URL: await byDataDir.get(key)! };
}

/** A test's own way into a server's database, the same on both engines: `?` placeholders, numbers as numbers. */
export interface TestDb {
  provider: Provider;
  all<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T | undefined>;
  run(sql: string, ...params: unknown[]): Promise<void>;
  /** The app's tables (not Prisma's own). */
  tables(): Promise<string[]>;
  /** The time now as Prisma stores a DateTime: ISO text with an offset in SQLite, UTC in a PostgreSQL timestamp. */
  now(): string;
  close(): Promise<void>;
}

// COUNT and SUM are bigint, AVG numeric: small enough here to read as numbers, as SQLite gives them.
const NUMBER_TYPES = [20, 1700];

export async function openTestDb(dataDir: string, opts: { readonly?: boolean } = {}): Promise<TestDb> {
  const { DATABASE_URL } = await databaseEnv(dataDir);
  if (!DATABASE_URL) {
    const db = new Database(path.join(dataDir, "app.db"), { readonly: opts.readonly ?? false, fileMustExist: true });
    return {
      provider: "sqlite",
      all: async <T>(sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as T[],
      get: async <T>(sql: string, ...params: unknown[]) => db.prepare(sql).get(...params) as T | undefined,
      run: async (sql, ...params) => void db.prepare(sql).run(...params),
      tables: async () =>
        (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_prisma%'`).all() as { name: string }[]).map((r) => r.name),
      close: async () => void db.close(),
      now: () => new Date().toISOString().replace("Z", "+00:00"),
    };
  }
  const client = new pg.Client({
    connectionString: DATABASE_URL,
    types: { getTypeParser: ((oid: number, format?: "text" | "binary") => (NUMBER_TYPES.includes(oid) ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
  });
  await client.connect();
  if (opts.readonly) await client.query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
  let n = 0;
  const numbered = (sql: string) => sql.replace(/\?/g, () => `$${++n}`);
  const query = async (sql: string, params: unknown[]) => {
    n = 0;
    return (await client.query(numbered(sql), params)).rows;
  };
  return {
    provider: "postgresql",
    all: async <T>(sql: string, ...params: unknown[]) => (await query(sql, params)) as T[],
    get: async <T>(sql: string, ...params: unknown[]) => (await query(sql, params))[0] as T | undefined,
    run: async (sql, ...params) => void (await query(sql, params)),
    tables: async () =>
      (await query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_prisma%'`, []))
        .map((r) => r.name as string),
    close: () => client.end(),
    now: () => new Date().toISOString().replace("Z", ""),
  };
}

/** Drops the test databases of processes that are gone (killed before their exit handler ran); returns how many. */
export async function dropOrphanDatabases(): Promise<number> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "EPERM";
    }
  };
  return admin(async (c) => {
    const { rows } = await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${TEST_DB_PREFIX.replace(/_/g, "\\_")}%`]);
    const orphans = rows.map((r) => r.datname).filter((n) => !alive(Number(n.slice(TEST_DB_PREFIX.length).split("_")[0])));
    for (const n of orphans) await c.query(`DROP DATABASE IF EXISTS "${n}" WITH (FORCE)`);
    return orphans.length;
  });
}
