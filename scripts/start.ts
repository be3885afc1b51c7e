// `npm start`: builds the UI when its sources are newer than the last build, then serves.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const SOURCES = ["app", "lib", "next.config.js", "postcss.config.mjs", "package-lock.json"];

function newestMtime(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...fs.readdirSync(p).map((f) => newestMtime(path.join(p, f))));
}

export function buildUiIfStale() {
  const built = path.join(root, ".next", "BUILD_ID");
  const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : 0;
  if (builtAt > Math.max(...SOURCES.map((s) => newestMtime(path.join(root, s))))) return;
  console.log(builtAt ? "UI sources changed; rebuilding…" : "Building the UI (first start only)…");
  const r = spawnSync(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
  });
  if (r.status !== 0) throw new Error("next build failed");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  buildUiIfStale();
  await import("../server/index");
}
