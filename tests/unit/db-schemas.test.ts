import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { readSource, renderSchema } from "../../scripts/db-schemas";
import { PROVIDERS, schemaFile } from "../../server/db/db-provider";

const root = path.resolve(import.meta.dirname, "../..");

test("each provider's committed schema is what `npm run db:generate` renders from prisma/schema.prisma", () => {
  const source = readSource();
  for (const p of PROVIDERS) {
    const committed = fs.readFileSync(path.join(root, schemaFile(p)), "utf8");
    assert.ok(committed === renderSchema(source, p), `${schemaFile(p)} is stale: edit prisma/schema.prisma only, then run \`npm run db:migration -- <name>\` (it renders the schemas and writes the migrations)`);
  }
});

test("rendering sets only the provider and the client's folder, and refuses a source without them", () => {
  const source = readSource();
  const pg = renderSchema(source, "postgresql");
  assert.match(pg, /^\/\/ GENERATED from prisma\/schema\.prisma/);
  assert.match(pg, /datasource db \{\n\s+provider = "postgresql"/);
  assert.match(pg, /output\s+= "\.\.\/\.\.\/generated\/postgresql"/);
  const body = (s: string) => s.slice(s.indexOf("model "));
  assert.equal(body(pg), body(source), "models are copied unchanged");
  assert.throws(() => renderSchema(source.replace(/datasource db \{[^}]*\}/, ""), "sqlite"), /provider/);
});
