import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { WorkerFlags, withEnvDefaults } from "../../worker/flags";
import { parseNvidiaSmi } from "../../worker/machine";

const root = path.resolve(import.meta.dirname, "../..");

test("nvidia-smi's CSV becomes the GPU list; noise and odd fields are skipped, not guessed", () => {
  const csv = "0, NVIDIA H200, 143771, 550.54.15\n1, NVIDIA H200, [N/A], 550.54.15\n\nNo devices were found\n";
  assert.deepEqual(parseNvidiaSmi(csv), [
    { index: 0, name: "NVIDIA H200", memoryBytes: 143771 * 1024 * 1024, driver: "550.54.15" },
    { index: 1, name: "NVIDIA H200", memoryBytes: null, driver: "550.54.15" },
  ]);
  assert.deepEqual(parseNvidiaSmi(""), []);
});

test("flags: the environment fills what the command line leaves out, and bad values say which flag", () => {
  const env = { WORKER_SERVER: "http://a:3000, http://b:3000", WORKER_KEY: "pdk_x_y", WORKER_QUEUES: "gpu, big", WORKER_MAX_RUNS: "2", DATA_DIR: "/scratch" };
  const f = WorkerFlags.parse(withEnvDefaults({}, env));
  assert.deepEqual([f.server, f.queue, f["max-runs"], f["data-dir"], f["shared-storage"]], [["http://a:3000", "http://b:3000"], ["gpu", "big"], 2, "/scratch", false]);
  assert.deepEqual(WorkerFlags.parse(withEnvDefaults({ queue: ["only"] }, env)).queue, ["only"], "a flag wins over its variable");
  const problems = (values: Record<string, unknown>) => WorkerFlags.safeParse(withEnvDefaults(values, {})).error?.issues.map((i) => i.message) ?? [];
  assert.deepEqual(problems({ server: "http://a", key: "pdk_1" }), []);
  assert.match(problems({ key: "pdk_1" }).join(), /--server is required/);
  assert.match(problems({ server: "ftp://a", key: "pdk_1" }).join(), /--server must be the dashboard's http\(s\) URL/);
  assert.match(problems({ server: "http://a" }).join(), /--key is required/);
  assert.match(problems({ server: "http://a", key: "secret" }).join(), /--key must be an API key/);
  assert.match(problems({ server: "http://a", key: "pdk_1", queue: ["GPU"] }).join(), /--queue names are lowercase/);
  assert.match(problems({ server: "http://a", key: "pdk_1", "max-runs": "0" }).join(), /--max-runs must be at least 1/);
  assert.match(problems({ server: "http://a", key: "pdk_1", "max-runs": "two" }).join(), /--max-runs must be a whole number/);
});

test("the worker CLI exits 2 with the reason on a bad command line, before it contacts anyone", () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "worker/cli.ts", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, WORKER_KEY: "", WORKER_SERVER: "" } });
  const unknown = run("--server", "http://127.0.0.1:9", "--key", "pdk_a_b", "--bogus");
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /error: Unknown option '--bogus'/);
  const noKey = run("--server", "http://127.0.0.1:9");
  assert.equal(noKey.status, 2);
  assert.match(noKey.stderr, /error: --key is required/);
});
