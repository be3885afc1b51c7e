import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "../generated/prisma/client";
import type { Env } from "./env";

export type Db = PrismaClient;

const root = path.resolve(import.meta.dirname, "..");

/** Applies the committed migrations to the database file, as `prisma migrate deploy` does. */
export async function migrate(env: Env): Promise<void> {
  fs.mkdirSync(env.dataDir, { recursive: true });
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
