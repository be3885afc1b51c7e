import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import Database from "better-sqlite3";
import { PrismaClient as PostgresClient } from "../../generated/postgresql/client";
import { PrismaClient } from "../../generated/sqlite/client";
import type { Env } from "../env";
import type { Provider } from "./db-provider";

/**
 * The database client. Each provider has its own generated client (scripts/db-schemas.ts), with
 * the same models from the same source schema; the SQLite one is the type for both, since its API
 * is the narrower one (no `mode: "insensitive"`, no `skipDuplicates`), so code that compiles
 * against it runs on either. A PostgreSQL client is cast to it in openDb.
 */
export type Db = PrismaClient;
/** Model row types and the SQL template helpers (Prisma.sql, join, raw): the same runtime objects in both clients. */
export { Prisma } from "../../generated/sqlite/client";
export type { Alert, Checkpoint, Dataset, Run, Webhook, WebhookDelivery } from "../../generated/sqlite/client";

const root = path.resolve(import.meta.dirname, "../..");
const providers = new WeakMap<Db, Provider>();

/** Which engine a client speaks to, for the few SQL fragments that differ (server/db/dialect.ts). */
export const providerOfDb = (db: Db): Provider => providers.get(db) ?? "sqlite";

/**
 * Applies the committed migrations of the database's provider, as `prisma migrate deploy` does:
 * prisma.config.ts picks prisma/<provider>/ from DATABASE_URL.
 */
export async function migrate(env: Env): Promise<void> {
  fs.mkdirSync(env.dataDir, { recursive: true });
  if (!sqlitePending(env.databaseUrl, path.join(root, "prisma", "sqlite", "migrations"))) return;
  const cli = path.join(root, "node_modules", "prisma", "build", "index.js");
  await promisify(execFile)(process.execPath, [cli, "migrate", "deploy"], {
    cwd: root,
    env: { ...process.env, DATA_DIR: env.dataDir, DATABASE_URL: env.databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  });
}

export function openDb(env: Env): Db {
  const db =
    env.dbProvider === "postgresql"
      ? (new PostgresClient({ adapter: new PrismaPg({ connectionString: env.databaseUrl, max: env.DATABASE_POOL_SIZE }) }) as unknown as Db)
      : new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: env.databaseUrl }) });
  providers.set(db, env.dbProvider);
  return db;
}

/**
 * Whether the SQLite file lacks a committed migration. `migrate deploy` locks the file exclusively
 * even when it has nothing to do, which fails while another instance has it open (scale-out on
 * one shared file), so an instance whose database is current does not run it.
 */
function sqlitePending(url: string, migrationsDir: string): boolean {
  const file = url.replace(/^file:/, "");
  if (!url.startsWith("file:") || !fs.existsSync(file)) return true;
  const committed = fs.readdirSync(migrationsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'`).get();
    if (!table) return true;
    const applied = new Set((db.prepare(`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`).all() as { migration_name: string }[]).map((r) => r.migration_name));
    return committed.some((m) => !applied.has(m));
  } finally {
    db.close();
  }
}
