import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { WORKER_FLAG_OPTIONS, WorkerFlags, withEnvDefaults } from "../../worker/flags";

const root = path.resolve(import.meta.dirname, "../..");
const deploy = path.join(root, "deploy");
const read = (rel: string) => fs.readFileSync(path.join(root, rel), "utf8");

const files = (fs.readdirSync(deploy, { recursive: true }) as string[])
  .map((f) => path.join("deploy", f))
  .filter((f) => fs.statSync(path.join(root, f)).isFile());

/** The command that package.json's `worker` script, the Slurm script, the unit and the image all run. */
const WORKER_COMMAND = "node --import tsx worker/cli.ts";

/** Flags of the other programs the deploy files call or document; anything else must be the worker's. */
const OTHER_FLAGS: Record<string, string[]> = {
  "sbatch, scancel": ["account", "array", "batch", "cpus-per-task", "gres", "job-name", "mem", "output", "partition", "signal", "time"],
  node: ["import"],
  "nvidia-smi": ["format", "query-gpu"],
  kubectl: ["from-file"],
  useradd: ["home-dir", "shell", "system"],
  "apt-get": ["no-install-recommends"],
  systemctl: ["now"],
};

/** The environment variables withEnvDefaults reads, from its own source. */
const ENV_NAMES = new Set([...withEnvDefaults.toString().matchAll(/\bget\("([A-Z][A-Z0-9_]*)"\)/g)].map((m) => m[1]));

test("withEnvDefaults's environment names are found in its source", () => {
  assert.ok(ENV_NAMES.has("WORKER_KEY") && ENV_NAMES.has("DATA_DIR") && ENV_NAMES.has("WORKER_QUEUES"), [...ENV_NAMES].join(" "));
});

test("every --flag in deploy/ is the worker's or a named other program's", () => {
  const known = new Set([...Object.keys(WORKER_FLAG_OPTIONS), ...Object.values(OTHER_FLAGS).flat()]);
  const unknown = files.flatMap((f) =>
    [...read(f).matchAll(/(?:^|[\s"'`[(=])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]).filter((flag) => !known.has(flag)).map((flag) => `${f}: --${flag}`),
  );
  assert.deepEqual(unknown, []);
});

test("every WORKER_* name in deploy/ is one the worker reads", () => {
  const unknown = files.flatMap((f) => [...read(f).matchAll(/\bWORKER_[A-Z0-9_]+\b/g)].map((m) => m[0]).filter((n) => !ENV_NAMES.has(n)).map((n) => `${f}: ${n}`));
  assert.deepEqual([...new Set(unknown)], []);
});

test("the key is never a command-line flag outside comments and the README", () => {
  const offending = files
    .filter((f) => !f.endsWith(".md"))
    .flatMap((f) => read(f).split("\n").map((line, i) => ({ f, n: i + 1, line })))
    .filter(({ line }) => !/^\s*#/.test(line) && /--key\b/.test(line));
  assert.deepEqual(offending, []);
});

test("the systemd sample environment names every setting, and its values parse as the worker's flags", () => {
  const text = read("deploy/systemd/worker.env.example");
  for (const name of ENV_NAMES) assert.match(text, new RegExp(`^#?${name}=`, "m"), `worker.env.example does not mention ${name}`);
  const env = Object.fromEntries([...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  const parsed = WorkerFlags.safeParse(withEnvDefaults({}, env as NodeJS.ProcessEnv));
  assert.ok(parsed.success, parsed.error?.message);
  assert.deepEqual(parsed.data.queue, ["gpu"]);
});

test("the package script and the deploy files run the same worker command", (t) => {
  const script = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts.worker;
  if (!script) return t.skip("package.json has no worker script yet");
  assert.equal(script, WORKER_COMMAND);
  assert.ok(read("deploy/slurm/worker.sbatch").includes(WORKER_COMMAND));
  const unit = read("deploy/systemd/pretrain-worker.service").split("\n");
  assert.ok(unit.some((l) => /^ExecStart=\/\S*\/node /.test(l) && l.endsWith(WORKER_COMMAND.replace(/^node/, ""))), "the unit's ExecStart");
  const entrypoint = `ENTRYPOINT ${JSON.stringify(WORKER_COMMAND.split(" ")).replaceAll(",", ", ")}`;
  assert.ok(read("deploy/kubernetes/Dockerfile").split("\n").includes(entrypoint), entrypoint);
});

test("the Kubernetes file is one Job with a GPU limit, the key from a Secret and a grace period", () => {
  const job = parseYaml(read("deploy/kubernetes/worker-job.yaml")) as any;
  assert.equal(job.apiVersion, "batch/v1");
  assert.equal(job.kind, "Job");
  assert.equal(typeof job.spec.backoffLimit, "number");
  const pod = job.spec.template.spec;
  assert.ok(["Never", "OnFailure"].includes(pod.restartPolicy), pod.restartPolicy);
  assert.ok(pod.terminationGracePeriodSeconds >= 120, `grace ${pod.terminationGracePeriodSeconds}`);
  assert.equal(pod.containers.length, 1);
  const [c] = pod.containers;
  assert.equal(c.resources.limits["nvidia.com/gpu"], 1);
  const env: Record<string, EnvVar> = Object.fromEntries((c.env as EnvVar[]).map((e) => [e.name, e]));
  assert.ok(env.WORKER_KEY.valueFrom?.secretKeyRef?.name && env.WORKER_KEY.valueFrom.secretKeyRef.key, "WORKER_KEY comes from a Secret");
  assert.equal(env.WORKER_KEY.value, undefined);
  assert.ok(env.WORKER_SERVER.value && env.WORKER_QUEUES.value);
  const mount = (c.volumeMounts as { name: string; mountPath: string }[]).find((m) => m.mountPath === env.DATA_DIR.value);
  assert.ok(mount, `nothing is mounted at DATA_DIR ${env.DATA_DIR.value}`);
  assert.ok((pod.volumes as { name: string; emptyDir?: unknown }[]).find((v) => v.name === mount.name)?.emptyDir, "DATA_DIR is an emptyDir");
  const podEnv: Record<string, string> = { ...envValues(env), WORKER_KEY: "pdk_from-the-secret" };
  const flags = WorkerFlags.safeParse(withEnvDefaults({ "max-runs": c.args[c.args.indexOf("--max-runs") + 1] }, podEnv as NodeJS.ProcessEnv));
  assert.ok(flags.success, flags.error?.message);
  // The worker's exit code for bad flags (2) fails the Job instead of retrying.
  const failJob = job.spec.podFailurePolicy?.rules?.find((r: any) => r.action === "FailJob");
  if (failJob) assert.deepEqual([failJob.onExitCodes.containerName, failJob.onExitCodes.values], [c.name, [2]]);
});

test("the Slurm script asks for one GPU, and the signal before the limit becomes one SIGTERM to the worker", () => {
  const text = read("deploy/slurm/worker.sbatch");
  const d = Object.fromEntries([...text.matchAll(/^#SBATCH\s+--([a-z-]+)=(\S+)/gm)].map((m) => [m[1], m[2]]));
  assert.equal(d.gres, "gpu:1");
  assert.ok(d.time && d.mem && d["cpus-per-task"]);
  const signal = /^B:([A-Z0-9]+)@\d+$/.exec(d.signal)?.[1];
  assert.ok(signal && signal !== "TERM", `--signal=${d.signal}: the batch shell alone, and not SIGTERM, which scancel also sends the worker`);
  assert.match(text, new RegExp(`^trap 'kill -TERM "\\$\\{pid:-\\}" 2>/dev/null' ${signal}$`, "m"));
  assert.match(text, /^trap : TERM INT$/m);
  assert.equal([...text.matchAll(/--max-runs 1 &$/gm)].length, 2, "both ways of starting the worker take one run");
});

test("the unit's hardening leaves the GPU devices reachable and stops only the worker", () => {
  const text = read("deploy/systemd/pretrain-worker.service");
  const active = (key: string) => new RegExp(`^${key}=`, "m").test(text);
  for (const key of ["PrivateDevices", "DevicePolicy", "DeviceAllow", "ProtectClock", "MemoryDenyWriteExecute"]) assert.ok(!active(key), `${key}= is set`);
  for (const line of ["EnvironmentFile=/etc/pretrain/worker.env", "Restart=on-failure", "KillSignal=SIGTERM", "KillMode=mixed", "TimeoutStopSec=150", "RestartPreventExitStatus=2"]) {
    assert.match(text, new RegExp(`^${line}$`, "m"));
  }
});

test("the shell scripts parse", () => {
  const scripts = [...files.filter((f) => /\.(sh|sbatch)$/.test(f)), "bench/device-env.sh", "bench/gpu-check.sh", "bench/prepare-device.sh"];
  assert.ok(scripts.includes("deploy/slurm/worker.sbatch") && scripts.includes("deploy/run-bundled-worker.sh"));
  for (const s of scripts) {
    const r = spawnSync(s === "bench/prepare-device.sh" ? "sh" : "bash", ["-n", s], { cwd: root, encoding: "utf8" });
    assert.equal(r.status, 0, `${s}: ${r.stderr}`);
  }
});

test("the Slurm script refuses a key file others can read, and a missing server", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-key-"));
  try {
    const key = path.join(dir, "worker.key");
    fs.writeFileSync(key, "pdk_test_key\n", { mode: 0o644 });
    fs.chmodSync(key, 0o644);
    const env = { ...process.env, PRETRAIN_KEY_FILE: key, PRETRAIN_DIR: root, WORKER_SERVER: "http://127.0.0.1:9" };
    const loose = spawnSync("bash", ["deploy/slurm/worker.sbatch"], { cwd: root, env, encoding: "utf8", timeout: 60_000 });
    assert.equal(loose.status, 1);
    assert.match(loose.stdout, /readable by others: chmod 600/);
    fs.chmodSync(key, 0o600);
    const noServer = spawnSync("bash", ["deploy/slurm/worker.sbatch"], { cwd: root, env: { ...env, WORKER_SERVER: "" }, encoding: "utf8", timeout: 60_000 });
    assert.equal(noServer.status, 1);
    assert.match(noServer.stderr, /set WORKER_SERVER/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the bundled worker's starter says what is missing from the carried folder", () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-device-"));
  try {
    const r = spawnSync("bash", ["deploy/run-bundled-worker.sh", empty, "--max-runs", "1"], { cwd: root, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.match(r.stdout, new RegExp(`${empty}/node.gz is missing: run bench/prepare-device.sh`));
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test("systemd-analyze verify accepts the unit, where it is installed", (t) => {
  if (spawnSync("systemd-analyze", ["--version"]).status !== 0) return t.skip("no systemd-analyze here");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-unit-"));
  try {
    // verify checks that ExecStart's program exists, so it gets this machine's node.
    const unit = read("deploy/systemd/pretrain-worker.service").replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`);
    const file = path.join(dir, "pretrain-worker.service");
    fs.writeFileSync(file, unit);
    const r = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
    const about = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.includes("pretrain-worker.service"));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(about, [], "unknown or unparsable settings");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };

function envValues(env: Record<string, EnvVar>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).flatMap(([k, e]) => (e.value === undefined ? [] : [[k, e.value]])));
}

/**
 * The block YAML the deploy files use (no YAML parser is a dependency): mappings, sequences of
 * mappings or scalars, full-line comments, and JSON-style flow lists such as ["--max-runs", "1"].
 */
function parseYaml(text: string): unknown {
  const lines = text
    .split("\n")
    .filter((l) => l.trim() !== "" && !/^\s*#/.test(l) && l.trim() !== "---")
    .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
  let i = 0;
  const scalar = (s: string): unknown => {
    if (/^\[.*\]$/.test(s)) return JSON.parse(s);
    if (/^".*"$/.test(s)) return JSON.parse(s);
    if (/^'.*'$/.test(s)) return s.slice(1, -1);
    if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
    if (s === "true" || s === "false") return s === "true";
    return s;
  };
  const block = (indent: number): unknown => {
    if (lines[i].text.startsWith("-")) {
      const list: unknown[] = [];
      while (i < lines.length && lines[i].indent === indent && lines[i].text.startsWith("-")) {
        const rest = lines[i].text.replace(/^-\s*/, "");
        if (rest === "") {
          i++;
          list.push(block(lines[i].indent));
        } else if (/^[^"'[{][^:]*:(\s|$)/.test(rest)) {
          lines[i] = { indent: indent + 2, text: rest };
          list.push(block(indent + 2));
        } else {
          list.push(scalar(rest));
          i++;
        }
      }
      return list;
    }
    const map: Record<string, unknown> = {};
    while (i < lines.length && lines[i].indent === indent && !lines[i].text.startsWith("-")) {
      const m = /^([^:]+):(?:\s+(.*))?$/.exec(lines[i].text);
      if (!m) throw new Error(`YAML this parser does not read: ${lines[i].text}`);
      i++;
      const next = lines[i];
      if (m[2] !== undefined) map[m[1]] = scalar(m[2]);
      else if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith("-")))) map[m[1]] = block(next.indent);
      else map[m[1]] = null;
    }
    if (i < lines.length && lines[i].indent > indent) throw new Error(`unexpected indentation at: ${lines[i].text}`);
    return map;
  };
  const doc = block(0);
  if (i !== lines.length) throw new Error(`more than one YAML document, or bad indentation at: ${lines[i].text}`);
  return doc;
}
