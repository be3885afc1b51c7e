import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { prismaCli, readSource, renderSchema } from "../../scripts/db-schemas";
import { migrate } from "../../server/db/db";
import { migrationsDir } from "../../server/db/db-provider";
import { loadEnv } from "../../server/env";
import { createPgDatabase, dropPgDatabase, testProvider } from "../helpers/db";
import { tempDataDir } from "../helpers/server";

/**
 * The committed migrations of the engine under test build exactly the schema: one fresh database
 * gets them as a server applies them at start, another gets `prisma db push` of the source schema
 * rendered for that engine, and both are read back from the engine's catalog. An edit of
 * prisma/schema.prisma without `npm run db:migration` fails here (and its rendered copies fail the
 * unit test). The PostgreSQL pass checks PostgreSQL's migrations; the SQLite pass, SQLite's.
 */
const provider = testProvider();
const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanup) await c();
});

type Shape = Record<string, unknown>;

function sqliteShape(file: string): Shape {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' ORDER BY name`).all() as { name: string; sql: string }[];
    // Columns by name: a migration's ADD COLUMN appends where a fresh table has the schema's order.
    const byName = <T extends { name: string }>(rows: T[]) => rows.sort((a, b) => a.name.localeCompare(b.name));
    return Object.fromEntries(tables.map((t) => [t.name, {
      columns: byName(db.prepare(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)`).all(t.name) as { name: string }[]),
      indexes: byName((db.prepare(`SELECT name, "unique", origin, partial FROM pragma_index_list(?)`).all(t.name) as { name: string }[])
        .map((i) => ({ ...i, columns: (db.prepare(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`).all(i.name) as { name: string }[]).map((c) => c.name) }))),
      foreignKeys: (db.prepare(`SELECT "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?)`).all(t.name) as { from: string }[])
        .sort((a, b) => a.from.localeCompare(b.from)),
      autoincrement: /AUTOINCREMENT/i.test(t.sql),
      withoutRowid: /WITHOUT\s+ROWID/i.test(t.sql),
    }]));
  } finally {
    db.close();
  }
}

async function pgShape(url: string): Promise<Shape> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const q = async (sql: string) => (await c.query(sql)).rows;
    const notOurs = `'_prisma_migrations'`;
    return {
      columns: await q(`SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, character_maximum_length, numeric_precision, datetime_precision
        FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> ${notOurs} ORDER BY table_name, column_name`),
      indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename <> ${notOurs} ORDER BY tablename, indexname`),
      constraints: await q(`SELECT conrelid::regclass::text AS "table", conname, contype, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE connamespace = current_schema()::regnamespace AND conrelid::regclass::text NOT LIKE '%_prisma_migrations%' ORDER BY 1, 2`),
      enums: await q(`SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
        WHERE t.typnamespace = current_schema()::regnamespace ORDER BY t.typname, e.enumsortorder`),
    };
  } finally {
    await c.end();
  }
}

/** A fresh database of the engine under test: its DATABASE_URL and how to read its shape. */
async function freshDatabase(label: string): Promise<{ url: string; dataDir: string; shape: () => Promise<Shape> }> {
  const dataDir = tempDataDir(`db-migrations-${label}`);
  cleanup.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  if (provider === "sqlite") {
    const file = path.join(dataDir, "app.db");
    return { url: `file:${file}`, dataDir, shape: async () => sqliteShape(file) };
  }
  const url = await createPgDatabase();
  cleanup.push(() => dropPgDatabase(url));
  return { url, dataDir, shape: () => pgShape(url) };
}

test(`${provider}: the committed migrations build exactly the schema (prisma/schema.prisma rendered for ${provider})`, async () => {
  const migrated = await freshDatabase("deploy");
  await migrate(loadEnv({ DATA_DIR: migrated.dataDir, DATABASE_URL: migrated.url }));

  const pushed = await freshDatabase("push");
  const schema = path.join(pushed.dataDir, "schema.prisma");
  fs.writeFileSync(schema, renderSchema(readSource(), provider));
  prismaCli(provider, ["db", "push", "--schema", schema, "--skip-generate", "--accept-data-loss"], { DATABASE_URL: pushed.url, DATA_DIR: pushed.dataDir });

  const [want, got] = [await pushed.shape(), await migrated.shape()];
  assert.ok(Object.keys(want).length > 0 && JSON.stringify(want).includes("Metric"), "the pushed database has the app's tables");
  assert.deepEqual(got, want, `${migrationsDir(provider)} does not build prisma/schema.prisma: run \`npm run db:migration -- <name>\` and commit what it writes`);
});
