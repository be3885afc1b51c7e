import fs from "node:fs";
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

// The CLI (migrate deploy, db push) reaches the same file the server uses.
const dataDir = path.resolve(process.env.DATA_DIR ?? "./data");
const url = process.env.DATABASE_URL ?? `file:${path.join(dataDir, "app.db")}`;
process.env.DATABASE_URL = url;
// The adapter opens the file eagerly, so its folder must exist even for a schema diff.
fs.mkdirSync(dataDir, { recursive: true });

export default defineConfig({
  schema: "prisma/schema.prisma",
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => new PrismaBetterSQLite3({ url }),
});
