// Writes prisma/migrations/<timestamp>_<name>/migration.sql by diffing the schema at HEAD
// against the working schema. `prisma migrate dev` needs a downloaded engine, so we diff instead.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const name = (process.argv[2] ?? "").trim();
if (!/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:migration -- <name>   (lowercase letters, digits and _)");
  process.exit(2);
}

const schema = "prisma/schema.prisma";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "migration-"));
let from: string[];
try {
  const head = execFileSync("git", ["show", `HEAD:${schema}`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const headFile = path.join(tmp, "head.prisma");
  fs.writeFileSync(headFile, head);
  from = ["--from-schema-datamodel", headFile];
} catch {
  from = ["--from-empty"];
}
const sql = execFileSync(
  "npx",
  ["prisma", "migrate", "diff", ...from, "--to-schema-datamodel", schema, "--script"],
  { encoding: "utf8" },
);
if (!/\b(CREATE|ALTER|DROP)\b/i.test(sql)) {
  console.log("The working schema matches HEAD; no migration written.");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = path.join("prisma", "migrations", `${stamp}_${name}`);
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, "migration.sql"), sql);
const lock = path.join("prisma", "migrations", "migration_lock.toml");
if (!fs.existsSync(lock)) fs.writeFileSync(lock, 'provider = "sqlite"\n');
console.log(`Wrote ${dir}/migration.sql`);
