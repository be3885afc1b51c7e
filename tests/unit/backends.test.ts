import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { backendChoices, backendNote, BackendReport } from "../../lib/backends";

const repo = path.resolve(import.meta.dirname, "../..");
const report: BackendReport = {
  auto: "wasm",
  cores: 2,
  backends: [
    { name: "tensorflow", available: false, detail: "not installed" },
    { name: "webgpu", available: false, detail: "no GPU adapter: the Vulkan loader libvulkan.so.1 is not installed" },
    { name: "wasm", available: true, detail: "XNNPACK" },
    { name: "cpu", available: true, detail: "slow" },
  ],
};

test("the backend select names where auto lands and which backends cannot start here", () => {
  assert.deepEqual(backendChoices(null).map((c) => c.label), ["auto", "tensorflow", "webgpu", "wasm", "cpu"]);
  assert.deepEqual(backendChoices(report).map((c) => c.label), ["auto → wasm here", "tensorflow (unavailable)", "webgpu (unavailable)", "wasm", "cpu"]);
  assert.deepEqual(backendChoices(report).map((c) => c.value), ["auto", "tensorflow", "webgpu", "wasm", "cpu"]);
});

test("the note under the field: checking, a failed probe, auto's skips, a backend's detail, or an error", () => {
  assert.deepEqual(backendNote("auto", null, null), { hint: "Checking which backends start on this machine…" });
  assert.deepEqual(backendNote("webgpu", null, "timed out"), { hint: "Could not check the backends on this machine: timed out" });
  assert.deepEqual(backendNote("auto", report, null), {
    hint: "Here auto takes wasm: XNNPACK (skipped tensorflow: not installed; webgpu: no GPU adapter: the Vulkan loader libvulkan.so.1 is not installed)",
  });
  const native = { ...report, auto: "tensorflow" as const, backends: [{ name: "tensorflow" as const, available: true, detail: "@tensorflow/tfjs-node-gpu loaded" }, ...report.backends.slice(1)] };
  assert.deepEqual(backendNote("auto", native, null), { hint: "Here auto takes tensorflow: @tensorflow/tfjs-node-gpu loaded" });
  assert.deepEqual(backendNote("wasm", report, null), { hint: "XNNPACK" });
  assert.deepEqual(backendNote("webgpu", report, null), { error: "webgpu cannot start on this machine: no GPU adapter: the Vulkan loader libvulkan.so.1 is not installed" });
});

test("npm run backends prints a line per backend and auto's choice; --json prints the report; a bad flag exits 2", () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "trainer/cli/backends.ts", ...args], { cwd: repo, encoding: "utf8", timeout: 120_000 });
  const json = cli("--json");
  assert.equal(json.status, 0, json.stderr);
  const parsed = BackendReport.parse(JSON.parse(json.stdout.trim().split("\n").pop()!));
  assert.ok(parsed.backends.find((b) => b.name === "wasm")!.available);
  const text = cli();
  assert.equal(text.status, 0, text.stderr);
  const lines = text.stdout.trim().split("\n");
  assert.deepEqual(lines.map((l) => l.split(/\s+/)[0]), ["tensorflow", "webgpu", "wasm", "cpu", "auto"]);
  assert.equal(lines.at(-1), `auto → ${parsed.auto}`);
  for (const b of parsed.backends) assert.ok(lines.some((l) => l.includes(b.detail) && l.includes(b.available ? " yes " : " no ")), b.name);
  const bad = cli("--bogus");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /error: .*--bogus/);
});
