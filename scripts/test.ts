// `npm test`: type-checks, builds the UI if stale, then runs every tests/**/*.test.ts file with
// node's test runner, one file at a time (the integration and browser tests each boot a server),
// on SQLite; then the integration tests again on PostgreSQL, each server with a fresh database.
//   npm test -- <substring>…        only the files whose path contains one (no tsc)
//   TEST_DB=sqlite npm test …       one pass, on that engine only (TEST_DB=postgresql: PostgreSQL;
//                                   every matched file, unit and browser tests included)
// PostgreSQL (TEST_PG_URL, default postgresql://postgres@127.0.0.1:5432/postgres) unreachable:
// under CI=true, or with TEST_DB=postgresql, its pass fails; otherwise it is skipped with a warning.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Provider } from "../server/db/db-provider";
import { dropOrphanDatabases, PG_ADMIN_URL, pgReachable, testProvider } from "../tests/helpers/db";
import { buildUiIfStale } from "./start";

const root = path.resolve(import.meta.dirname, "..");
const only = process.argv.slice(2);
const picked = process.env.TEST_DB ? testProvider() : null;
const ci = process.env.CI === "true" || process.env.CI === "1";

function findTests(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return findTests(p);
    return e.name.endsWith(".test.ts") ? [p] : [];
  });
}

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env } });
  return r.status ?? 1;
}

const banner = (text: string) => console.log(`\n${"━".repeat(100)}\n━━ ${text}\n${"━".repeat(100)}`);
const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

const order = ["unit", "integration", "e2e"];
const files = findTests(path.join(root, "tests"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort((a, b) => order.findIndex((o) => a.includes(`/${o}/`)) - order.findIndex((o) => b.includes(`/${o}/`)) || a.localeCompare(b));

if (only.length === 0) {
  console.log("▶ tsc --noEmit");
  if (run(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", root]) !== 0) process.exit(1);
}
buildUiIfStale();

type Pass = { provider: Provider; files: string[] };
const passes: Pass[] = picked
  ? [{ provider: picked, files }]
  : [{ provider: "sqlite", files }, { provider: "postgresql", files: files.filter((f) => f.includes("/integration/")) }];
const results: string[] = [];
let failed = false;

for (const [i, pass] of passes.entries()) {
  const name = pass.provider === "sqlite" ? "SQLite" : "PostgreSQL";
  if (pass.files.length === 0) continue;
  if (pass.provider === "postgresql") {
    const reach = await pgReachable();
    if (!reach.ok) {
      const what = `PostgreSQL at ${PG_ADMIN_URL} is unreachable (${reach.reason})`;
      if (ci || picked === "postgresql") {
        banner(`FAIL: ${what}; the PostgreSQL pass cannot run. Start PostgreSQL (see .ci/run) or set TEST_PG_URL.`);
        results.push(`${name}: FAILED, PostgreSQL unreachable`);
        failed = true;
      } else {
        banner(`WARNING: ${what}. SKIPPING the PostgreSQL pass: the database code is NOT tested on PostgreSQL. Start it, or set TEST_PG_URL.`);
        results.push(`${name}: SKIPPED, PostgreSQL unreachable`);
      }
      continue;
    }
    const dropped = await dropOrphanDatabases();
    if (dropped) console.log(`(dropped ${dropped} test databases left by killed test processes)`);
  }
  banner(`pass ${i + 1}/${passes.length}: ${name}, ${pass.files.length} test files${pass.provider === "postgresql" ? ", a fresh database per server" : ""}`);
  const started = Date.now();
  const status = run(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", "--test-timeout=600000", ...pass.files], { TEST_DB: pass.provider });
  results.push(`${name}: ${status === 0 ? "passed" : "FAILED"}, ${pass.files.length} files in ${minutes(Date.now() - started)}`);
  failed ||= status !== 0;
}
banner(results.join("  ·  ") || "no test files matched");
process.exit(failed ? 1 : 0);
