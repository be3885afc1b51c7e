// The router takes a history.replaceState as a navigation of its own, so one that lands while a
// navigation is loading cancels it (app/components/common/navigation.ts). The app therefore
// updates its URL and navigates only through that module, which lets each update see the others.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";

const app = path.resolve(import.meta.dirname, "../../app");
const OWNER = path.join("components", "common", "navigation.ts");
const RAW = [/history\.(replaceState|pushState)\s*\(/, /\brouter\.(push|replace)\s*\(/, /useRouter\(\)\.(push|replace)\b/];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|tsx)$/.test(e.name) ? [p] : [];
  });
}

test("the app changes its URL only through common/navigation, never by history or router.push directly", () => {
  const files = sources(app);
  assert.ok(files.some((f) => f.endsWith(OWNER)), "the navigation module is where the rule says");
  const raw = files.filter((f) => !f.endsWith(OWNER)).flatMap((f) =>
    fs.readFileSync(f, "utf8").split("\n").flatMap((line, i) => (RAW.some((r) => r.test(line)) ? [`${path.relative(app, f)}:${i + 1}: ${line.trim()}`] : [])));
  assert.deepEqual(raw, []);
});
