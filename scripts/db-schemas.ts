// `npm run db:generate` (also run by postinstall): renders prisma/<provider>/schema.prisma from the
// one source schema, prisma/schema.prisma, and generates each provider's client in
// generated/<provider>. A generated client serves one provider only, and `provider` cannot come
// from env(), hence one rendered schema and one client per provider.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { providerOf, PROVIDERS, schemaFile, type Provider } from "../server/db/db-provider";

export const SOURCE = "prisma/schema.prisma";
const root = path.resolve(import.meta.dirname, "..");

const HEADER = (p: Provider) =>
  `// GENERATED from prisma/schema.prisma for ${p} by \`npm run db:generate\`: do not edit.\n` +
  "// Edit the source schema, then run `npm run db:migration -- <name>`.\n\n";

/** Sets one `name = value` line inside the block that opens with `opening` (e.g. `datasource db {`). */
function setInBlock(text: string, opening: RegExp, name: string, value: string): string {
  const block = new RegExp(`(${opening.source}[^}]*?^\\s*${name}\\s*=\\s*)("[^"\\n]*")`, "m");
  if (!block.test(text)) throw new Error(`${SOURCE}: no \`${name} = "…"\` line in the block ${opening.source}`);
  return text.replace(block, (_m, head: string) => `${head}${JSON.stringify(value)}`);
}

/** The source schema as that provider's schema: its datasource provider and its client's output folder. */
export function renderSchema(source: string, provider: Provider): string {
  // The source's leading comment speaks of the source; the rendered file gets its own header.
  const body = source.replace(/^(\s*\/\/[^\n]*\n)*\s*/, "");
  let out = setInBlock(body, /datasource\s+\w+\s*\{/, "provider", provider);
  out = setInBlock(out, /generator\s+client\s*\{/, "output", `../../generated/${provider}`);
  return HEADER(provider) + out;
}

export const readSource = (dir = root) => fs.readFileSync(path.join(dir, SOURCE), "utf8");

/** Writes every provider's schema; returns the ones whose text changed. */
export function writeSchemas(dir = root): Provider[] {
  const source = readSource(dir);
  return PROVIDERS.filter((p) => {
    const file = path.join(dir, schemaFile(p));
    const text = renderSchema(source, p);
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) return false;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return true;
  });
}

/**
 * A URL of each provider for CLI commands that touch no database (generate, diffs of two schema
 * files): prisma.config.ts picks the adapter from it, and the CLI wants the two to agree. The
 * PostgreSQL schema engine connects even to diff two files (it writes nothing), so that URL must
 * reach a server: DATABASE_URL when it names PostgreSQL, else the local one.
 */
export const PLACEHOLDER_URL: Record<Provider, string> = {
  sqlite: `file:${path.join(root, "data", "app.db")}`,
  postgresql: providerOf(process.env.DATABASE_URL ?? "") === "postgresql" ? process.env.DATABASE_URL! : "postgresql://postgres@127.0.0.1:5432/postgres",
};

/** Runs the Prisma CLI on one provider's schema. */
export function prismaCli(p: Provider, args: string[], env: Record<string, string> = {}): string {
  const cli = path.join(root, "node_modules", "prisma", "build", "index.js");
  return execFileSync(process.execPath, [cli, ...args], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, DATABASE_URL: PLACEHOLDER_URL[p], PRISMA_HIDE_UPDATE_MESSAGE: "1", ...env },
  });
}

export function generateClients() {
  for (const p of PROVIDERS) process.stdout.write(prismaCli(p, ["generate", "--schema", schemaFile(p)]));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const p of writeSchemas()) console.log(`Rendered ${schemaFile(p)}`);
  generateClients();
}
