import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { migrate } from "../../server/db/db";
import { loadEnv } from "../../server/env";
import { openDriver, type MetricDriver } from "../../server/services/metrics/metric-driver";
import { tempDataDir } from "./server";

const root = path.resolve(import.meta.dirname, "../..");
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** A fresh database holding the schema, for testing the metric writer on one engine. */
export interface MetricDb {
  engine: "sqlite" | "postgresql";
  url: string;
  /** Raw reads and writes on a connection of the test's own. */
  sql: MetricDriver;
  addRun(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function sqliteMetricDb(label: string): Promise<MetricDb> {
  const dataDir = tempDataDir(label);
  const env = loadEnv({ DATA_DIR: dataDir });
  await migrate(env);
  const sql = await openDriver(env.databaseUrl);
  return {
    engine: "sqlite", url: env.databaseUrl, sql, addRun: (name) => addRun(sql, name),
    close: async () => {
      await sql.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A uniquely named PostgreSQL database with the schema of prisma/schema.prisma for PostgreSQL
 * (`prisma migrate diff` against a copy with that provider). Null when no server answers, unless
 * CI=true, where that is a failure.
 */
export async function pgMetricDb(label: string): Promise<MetricDb | null> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await admin.connect();
  } catch (e) {
    if (process.env.CI === "true") throw new Error(`PostgreSQL is needed under CI and does not answer at ${PG_ADMIN_URL}: ${(e as Error).message}`);
    return null;
  }
  const name = `writer_${label.replace(/\W/g, "_")}_${crypto.randomBytes(4).toString("hex")}`;
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  await c.query(pgSchema());
  await c.end();
  const sql = await openDriver(url.toString());
  return {
    engine: "postgresql", url: url.toString(), sql, addRun: (n) => addRun(sql, n),
    close: async () => {
      await sql.close();
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}

let schemaSql: string | null = null;
function pgSchema(): string {
  if (schemaSql) return schemaSql;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pg-schema-"));
  const file = path.join(tmp, "schema.prisma");
  fs.writeFileSync(file, fs.readFileSync(path.join(root, "prisma", "schema.prisma"), "utf8").replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"'));
  const cli = path.join(root, "node_modules", "prisma", "build", "index.js");
  schemaSql = execFileSync(process.execPath, [cli, "migrate", "diff", "--from-empty", "--to-schema-datamodel", file, "--script"], {
    cwd: root, encoding: "utf8", env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1" }, stdio: ["ignore", "pipe", "pipe"],
  });
  fs.rmSync(tmp, { recursive: true, force: true });
  return schemaSql;
}

async function addRun(sql: MetricDriver, name: string): Promise<string> {
  const id = `r${crypto.randomBytes(6).toString("hex")}`;
  await sql.run({ text: `INSERT INTO "Run" ("id", "name", "config", "token", "totalSteps") VALUES (?, ?, '{}', ?, 1)`, params: [id, name, `${id}-token`] });
  return id;
}
