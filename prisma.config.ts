import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

// The CLI (migrate deploy, db push) reaches the same file the server uses.
const dataDir = path.resolve(process.env.DATA_DIR ?? "./data");
const url = process.env.DATABASE_URL ?? `file:${path.join(dataDir, "app.db")}`;
process.env.DATABASE_URL = url;

export default defineConfig({
  schema: "prisma/schema.prisma",
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => new PrismaBetterSQLite3({ url }),
});
