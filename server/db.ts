import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import Database from "better-sqlite3";
import { PrismaClient } from "../generated/prisma/client";
import type { Env } from "./env";

export type Db = PrismaClient;

const root = path.resolve(import.meta.dirname, "..");

/** Applies the committed migrations to the database file, as `prisma migrate deploy` does. */
export async function migrate(env: Env): Promise<void> {
  fs.mkdirSync(env.dataDir, { recursive: true });
  if (!sqlitePending(env.databaseUrl, path.join(root, "prisma", "migrations"))) return;
  const cli = path.join(root, "node_modules", "prisma", "build", "index.js");
  await promisify(execFile)(process.execPath, [cli, "migrate", "deploy"], {
    cwd: root,
    env: { ...process.env, DATA_DIR: env.dataDir, DATABASE_URL: env.databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  });
}

export function openDb(env: Env): Db {
  const adapter = new PrismaBetterSQLite3({ url: env.databaseUrl });
  return new PrismaClient({ adapter });
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
