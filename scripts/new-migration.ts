// `npm run db:migration -- <name>`: writes prisma/<provider>/migrations/<timestamp>_<name>/migration.sql
// for every provider, each by diffing the source schema at HEAD rendered for that provider against
// the working one (`prisma migrate dev` needs a downloaded engine, so we diff instead). A provider
// with no migrations yet gets a baseline from an empty database. It renders the per-provider
// schemas first, so they are committed together with the migrations.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { migrationsDir, PROVIDERS, schemaFile, type Provider } from "../server/db/db-provider";
import { prismaCli, renderSchema, SOURCE, writeSchemas } from "./db-schemas";

const name = (process.argv[2] ?? "").trim();
if (!/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:migration -- <name>   (lowercase letters, digits and _)");
  process.exit(2);
}

function headSource(): string | null {
  try {
    return execFileSync("git", ["show", `HEAD:${SOURCE}`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return null;
  }
}

const hasMigrations = (p: Provider) =>
  fs.existsSync(migrationsDir(p)) && fs.readdirSync(migrationsDir(p)).some((d) => fs.existsSync(path.join(migrationsDir(p), d, "migration.sql")));

writeSchemas();
const head = headSource();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "migration-"));
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
let wrote = 0;
for (const p of PROVIDERS) {
  let from = ["--from-empty"];
  if (head !== null && hasMigrations(p)) {
    const headFile = path.join(tmp, `head-${p}.prisma`);
    fs.writeFileSync(headFile, renderSchema(head, p));
    from = ["--from-schema-datamodel", headFile];
  }
  let sql: string;
  try {
    sql = prismaCli(p, ["migrate", "diff", ...from, "--to-schema-datamodel", schemaFile(p), "--script"]);
  } catch {
    console.error(p === "postgresql"
      ? "Could not diff for PostgreSQL: its schema engine needs a reachable server even to compare two files. Start one or set DATABASE_URL=postgresql://…, then run this again (a migration already written for another provider is overwritten)."
      : `Could not diff for ${p}; see the error above.`);
    process.exit(1);
  }
  if (!/\b(CREATE|ALTER|DROP)\b/i.test(sql)) {
    console.log(`${p}: the working schema matches HEAD; no migration written.`);
    continue;
  }
  const dir = path.join(migrationsDir(p), `${stamp}_${name}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "migration.sql"), sql);
  const lock = path.join(migrationsDir(p), "migration_lock.toml");
  if (!fs.existsSync(lock)) fs.writeFileSync(lock, `provider = "${p}"\n`);
  console.log(`Wrote ${dir}/migration.sql`);
  wrote++;
}
fs.rmSync(tmp, { recursive: true, force: true });
if (wrote) console.log("Review each file (a SQLite table rebuild keeps rows; check defaults for new NOT NULL columns), then commit them with the schema.");
