import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type { AppRouter } from "../../server/trpc/router";
import { ADMIN_ENV, bearer } from "./auth";
import { startServer, tempDataDir, waitFor, type TestServer } from "./server";
import { writeKey } from "./worker";

const root = path.resolve(import.meta.dirname, "../..");

/** A port that was free a moment ago, so a restarted server can come back on the same one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A logging script (tests/python/long_run.py or tests/helpers/ts-long-run.ts) as a child. */
class Script {
  out = "";
  err = "";
  step = -1;
  readonly exited: Promise<number | null>;
  constructor(readonly proc: ChildProcess) {
    proc.stdout!.on("data", (d) => {
      this.out += d;
      for (const m of this.out.matchAll(/^step (\d+)$/gm)) this.step = Math.max(this.step, Number(m[1]));
    });
    proc.stderr!.on("data", (d) => (this.err += d));
    this.exited = new Promise((resolve) => proc.once("exit", (code) => resolve(code)));
  }
  reached(step: number, what: string) {
    return waitFor(`${what}: step ${step}`, () => {
      if (this.proc.exitCode !== null) throw new Error(`the script exited with ${this.proc.exitCode} before step ${step}:\n${this.out}\n${this.err}`);
      return this.step >= step;
    });
  }
  header() {
    return waitFor("the run id", () => {
      if (this.proc.exitCode !== null) throw new Error(`the script exited with ${this.proc.exitCode}:\n${this.out}\n${this.err}`);
      const m = this.out.match(/^run (\S+) from (\d+) adopted (\d+)$/m);
      return m ? { id: m[1], from: Number(m[2]), adopted: Number(m[3]) } : null;
    });
  }
}

async function kill9(server: TestServer) {
  const exited = new Promise((r) => server.proc.once("exit", r));
  server.proc.kill("SIGKILL");
  await exited;
}

export interface ChaosOptions {
  label: string;
  command: string;
  args: string[];
  steps: number;
  nanStep: number;
  /** Steps at which: the server is killed; the script is killed (server still down); after the
   * resumed script passes the third, the server is killed again and restarted 2 s later. */
  marks: [number, number, number];
}

/**
 * The scenario both client tests share: a run is logged while the server is SIGKILLed, the client
 * itself is SIGKILLed while the server is down (so its disk buffer holds what it logged), the
 * server comes back on the same port and data, a second client process resumes the run and
 * re-sends the buffer, the server is killed and restarted once more under it, and the run
 * finishes. Then every step of every key must be stored exactly once with its exact value.
 */
export async function clientChaos(o: ChaosOptions) {
  const dataDir = tempDataDir(o.label);
  const bufferDir = fs.mkdtempSync(path.join(dataDir, "buffer-"));
  const port = String(await freePort());
  const scripts: Script[] = [];
  let server = await startServer(dataDir, { ...ADMIN_ENV, PORT: port });
  try {
    const { key } = await writeKey(server.url, o.label);
    const env = { ...process.env, PRETRAIN_URL: server.url, PRETRAIN_KEY: key, STEPS: String(o.steps), NAN_STEP: String(o.nanStep), BUFFER_DIR: bufferDir, PYTHONUNBUFFERED: "1" };
    const start = (extra: Record<string, string> = {}) => {
      const s = new Script(spawn(o.command, o.args, { cwd: root, env: { ...env, ...extra }, stdio: ["ignore", "pipe", "pipe"] }));
      scripts.push(s);
      return s;
    };

    const first = start();
    const { id: runId } = await first.header();
    await first.reached(o.marks[0], "first client");
    await kill9(server);
    await first.reached(o.marks[1], "first client, server down");
    first.proc.kill("SIGKILL");
    await first.exited;
    const journals = fs.readdirSync(path.join(bufferDir, runId)).filter((f) => f.endsWith(".jsonl"));
    assert.equal(journals.length, 1, "the killed client left its journal");

    server = await startServer(dataDir, { ...ADMIN_ENV, PORT: port });
    const second = start({ RUN_ID: runId });
    const resumed = await second.header();
    assert.equal(resumed.id, runId);
    assert.ok(resumed.adopted > 0, "the second client re-sends what the killed one had not got acknowledged");
    assert.ok(resumed.from > o.marks[1], `the resumed run goes on after the last logged step (from ${resumed.from})`);
    await second.reached(o.marks[2], "second client");
    await kill9(server);
    await new Promise((r) => setTimeout(r, 2000));
    server = await startServer(dataDir, { ...ADMIN_ENV, PORT: port });
    const code = await second.exited;
    assert.equal(code, 0, `the resumed script exits cleanly:\n${second.out}\n${second.err}`);
    assert.match(second.out, /done left=0/);
    assert.match(first.err + second.err, /cannot reach/, "the clients saw the server go away");
    assert.match(second.err, /answers again/, "and come back");
    assert.ok(!fs.existsSync(path.join(bufferDir, runId)), "a finished run leaves no buffer behind");
    console.log(`${o.label}: first client killed at step ${first.step}, resumed from ${resumed.from} re-sending ${resumed.adopted} points`);

    await checkStored(server, key, runId, o.steps, o.nanStep);
  } finally {
    for (const s of scripts) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill("SIGKILL");
    await server.stop();
  }
}

const mlflow = async (url: string, key: string, endpoint: string, query: Record<string, string>) => {
  const res = await fetch(`${url}/api/2.0/mlflow/${endpoint}?${new URLSearchParams(query)}`, { headers: bearer(key) });
  const body = await res.json();
  assert.equal(res.status, 200, `${endpoint}: ${JSON.stringify(body)}`);
  return body;
};

/** Every point of a key through metrics/get-history, following next_page_token if it pages. */
async function history(url: string, key: string, runId: string, metricKey: string) {
  const points: { key: string; value: number | string; timestamp: number | string; step: number | string }[] = [];
  let token: string | undefined;
  do {
    const body = await mlflow(url, key, "metrics/get-history", { run_id: runId, metric_key: metricKey, ...(token ? { page_token: token } : {}) });
    points.push(...(body.metrics ?? []));
    token = body.next_page_token || undefined;
  } while (token);
  return points;
}

async function checkStored(server: TestServer, key: string, runId: string, steps: number, nanStep: number) {
  const expected: Record<string, (s: number) => number | string> = {
    loss: (s) => 4 + 1 / (s + 1),
    lr: (s) => (s * 3e-4) / steps,
    "throughput(tps)": (s) => 1000 + s * 0.25,
    "grad/norm": (s) => (s === nanStep ? "NaN" : s / 7),
  };
  for (const [name, f] of Object.entries(expected)) {
    const points = await history(server.url, key, runId, name);
    const bySteps = new Map<number, unknown[]>();
    for (const p of points) bySteps.set(Number(p.step), [...(bySteps.get(Number(p.step)) ?? []), p.value]);
    const missing = Array.from({ length: steps }, (_, s) => s).filter((s) => !bySteps.has(s));
    const doubled = [...bySteps].filter(([, v]) => v.length > 1).map(([s]) => s);
    const wrong = [...bySteps].filter(([s, v]) => v[0] !== f(s)).map(([s, v]) => `${s}: ${JSON.stringify(v[0])} ≠ ${f(s)}`);
    assert.deepEqual({ name, missing: missing.slice(0, 10), doubled: doubled.slice(0, 10), wrong: wrong.slice(0, 5) }, { name, missing: [], doubled: [], wrong: [] });
    assert.equal(points.length, steps, `${name}: one point per step`);
    assert.ok(points.every((p) => p.key === name), `${name}: the history names its key`);
  }
  const run = (await mlflow(server.url, key, "runs/get", { run_id: runId })).run;
  assert.equal(run.info.status, "FINISHED");
  const params = Object.fromEntries((run.data.params ?? []).map((p: { key: string; value: string }) => [p.key, p.value]));
  assert.equal(params["model/n_layer"], "2");
  assert.equal(params.lr, "0.0003");

  // The dashboard's own view of the same run: its status, and each series under its stored key
  // (names with a role take the role's key: throughput(tps) charts as tokens_per_sec).
  const api = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${server.url}/api/trpc`, headers: bearer(key) })] });
  assert.equal((await api.run.get.query({ id: runId })).status, "completed");
  const series = await api.metric.history.query({ runId, maxPoints: 10_000_000 });
  const stored: Record<string, string> = { loss: "loss", lr: "lr", tokens_per_sec: "throughput(tps)", "grad/norm": "grad/norm" };
  assert.deepEqual(Object.keys(series).sort(), Object.keys(stored).sort());
  for (const [k, name] of Object.entries(stored)) {
    const f = expected[name];
    assert.equal(series[k].length, steps, `metric.history ${k}: one point per step`);
    const wrong = series[k].filter((p, i) => p.step !== i || p.value !== (f(i) === "NaN" ? null : f(i)));
    assert.deepEqual(wrong.slice(0, 5), [], `metric.history ${k}: exact values, NaN as a gap`);
  }
}

