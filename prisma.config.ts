import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { defineConfig } from "prisma/config";
import { providerOf, schemaFile } from "./server/db/db-provider";
import { cliPgAdapter, letEngineTimersExit } from "./server/db/pg-cli-adapter";

// The CLI (migrate deploy, db push) reaches the database the server uses: DATABASE_URL, else the
// SQLite file in DATA_DIR. Its provider picks the rendered schema, whose migrations sit beside it.
const dataDir = path.resolve(process.env.DATA_DIR ?? "./data");
const url = process.env.DATABASE_URL || `file:${path.join(dataDir, "app.db")}`;
const provider = providerOf(url);
if (!provider) throw new Error("DATABASE_URL must start with file:, postgresql:// or postgres://");
process.env.DATABASE_URL = url;
if (provider === "postgresql") letEngineTimersExit();

function sqlite() {
  // The adapter opens the file eagerly, so its folder must exist even for a schema diff.
  fs.mkdirSync(path.dirname(path.resolve(url.slice("file:".length))), { recursive: true });
  return new PrismaBetterSQLite3({ url });
}

export default defineConfig({
  schema: schemaFile(provider),
  experimental: { adapter: true },
  engine: "js",
  // The CLI refuses a schema whose provider differs from its adapter's, `generate` included.
  adapter: async () => (provider === "sqlite" ? sqlite() : cliPgAdapter(url)),
});
