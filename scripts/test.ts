// `npm test`: type-checks, builds the UI if stale, then runs every tests/**/*.test.ts file with
// node's test runner, one file at a time (the integration and browser tests each boot a server).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { buildUiIfStale } from "./start";

const root = path.resolve(import.meta.dirname, "..");
const only = process.argv.slice(2);

function findTests(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return findTests(p);
    return e.name.endsWith(".test.ts") ? [p] : [];
  });
}

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  return r.status ?? 1;
}

const order = ["unit", "integration", "e2e"];
const files = findTests(path.join(root, "tests"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort((a, b) => order.findIndex((o) => a.includes(`/${o}/`)) - order.findIndex((o) => b.includes(`/${o}/`)) || a.localeCompare(b));

if (only.length === 0) {
  console.log("▶ tsc --noEmit");
  if (run(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", root]) !== 0) process.exit(1);
}
buildUiIfStale();
console.log(`▶ ${files.length} test files`);
process.exit(run(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", "--test-timeout=600000", ...files]));
