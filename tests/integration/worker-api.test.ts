import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { ADMIN_ENV, bearer, call } from "../helpers/auth";
import { startServer, tempDataDir, TINY, type TestServer } from "../helpers/server";
import { writeKey } from "../helpers/worker";

const dataDir = tempDataDir("worker-api");
let server: TestServer;
let key: string;
let cookie: string;
let api: Awaited<ReturnType<typeof writeKey>>["api"];
before(async () => {
  server = await startServer(dataDir, { ...ADMIN_ENV, WORKER_LEASE_TTL_MS: "2000" });
  ({ key, cookie, api } = await writeKey(server.url));
});
after(async () => {
  await server?.stop();
});

const INFO = {
  name: "box", host: "box.lab", platform: "linux x64", cores: 8, memoryBytes: 16e9, gpus: [{ index: 0, name: "NVIDIA H200", memoryBytes: 150e9, driver: "550.54" }],
  backends: ["tensorflow", "wasm", "cpu"], autoBackend: "tensorflow", queues: ["gpu"], maxRuns: 1, version: "0.1.0",
};

async function post(route: string, body: unknown, headers: Record<string, string> = bearer(key)) {
  const res = await fetch(`${server.url}/api/workers/${route}`, {
    method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

test("only a key with the write scope may act as a worker, and bad bodies get clear errors", async () => {
  assert.equal((await post("register", INFO, {})).status, 401);
  const read = await call(server.url, "apiKey.create", "mutation", { name: "read-only", scopes: ["read"] }, { cookie });
  const r = await post("register", INFO, bearer(read.body.result.data.key));
  assert.equal(r.status, 403);
  assert.match(r.body.error, /lacks the write scope/);

  const notJson = await post("register", "{nope");
  assert.deepEqual([notJson.status, notJson.body.error], [400, "The request body is not JSON"]);
  const badQueue = await post("register", { ...INFO, queues: ["GPU!"] });
  assert.equal(badQueue.status, 400);
  assert.match(badQueue.body.error, /queues\.0/);
  const huge = await post("register", { ...INFO, name: "x".repeat(2_000_000) });
  assert.equal(huge.status, 413);
  assert.equal((await post("w-nope/heartbeat", { runs: [] })).status, 404);
  assert.equal((await post("..%2F..%2Fetc/heartbeat", { runs: [] })).status, 400);
  assert.equal((await post("register/extra", INFO)).status, 404);

  // A worker belongs to the key that registered it.
  const w = await post("register", INFO);
  assert.equal(w.status, 201);
  // A short lease (2 s here) gets heartbeats often enough that one or two late ones do not lose it.
  assert.deepEqual([w.body.leaseTtlMs, w.body.heartbeatMs], [2000, 500]);
  const other = await writeKey(server.url, "another");
  const stolen = await post(`${w.body.id}/claim`, {}, bearer(other.key));
  assert.equal(stolen.status, 403);
  assert.match(stolen.body.error, /registered with another API key/);
  // The server still answers after all of that.
  assert.equal((await post(`${w.body.id}/heartbeat`, { runs: [] })).status, 200);
});

test("of two workers claiming at once, one gets the run; the other's heartbeat calls it lost", async () => {
  const a = (await post("register", { ...INFO, name: "a" })).body.id;
  const b = (await post("register", { ...INFO, name: "b" })).body.id;
  const run = await api.run.create.mutate({ ...TINY, name: "contended", queue: "gpu", dataset: "default" });
  const [ca, cb] = await Promise.all([post(`${a}/claim`, {}), post(`${b}/claim`, {})]);
  const winners = [ca, cb].filter((c) => c.body.assignment?.runId === run.id);
  assert.equal(winners.length, 1, JSON.stringify([ca.body, cb.body]));
  const [winner, loser] = ca.body.assignment ? [a, b] : [b, a];
  assert.equal(winners[0].body.assignment.token.length, 48, "the assignment carries the run's token");
  assert.equal((await api.run.get.query({ id: run.id })).workerId, winner);
  const lost = await post(`${loser}/heartbeat`, { runs: [{ runId: run.id, phase: "training" }] });
  assert.deepEqual(lost.body.lost, [run.id]);
  const kept = await post(`${winner}/heartbeat`, { runs: [{ runId: run.id, phase: "fetching", detail: "fetching dataset: 1.0 of 4.0 MB (25%)" }] });
  assert.deepEqual(kept.body, { stop: [], lost: [] });
  const shown = (await api.worker.list.query()).find((w) => w.id === winner)!.runs[0];
  assert.deepEqual([shown.id, shown.phase, shown.detail], [run.id, "fetching", "fetching dataset: 1.0 of 4.0 MB (25%)"], "the Workers page shows what the worker does with the run");
  // A worker at its run limit gets nothing more.
  await api.run.create.mutate({ ...TINY, name: "second", queue: "gpu", dataset: "default" });
  assert.equal((await post(`${winner}/claim`, {})).body.assignment, null);
  // Stop reaches the worker in its heartbeat answer.
  await api.run.stop.mutate({ id: run.id });
  assert.deepEqual((await post(`${winner}/heartbeat`, { runs: [{ runId: run.id, phase: "training" }] })).body.stop, [run.id]);
  // The exit of a run a worker does not hold is refused; its own is taken.
  assert.equal((await post(`${loser}/runs/${run.id}/exit`, { code: 0, signal: null, tail: [] })).status, 409);
  assert.equal((await post(`${winner}/runs/${run.id}/exit`, { code: 0, signal: null, tail: ["bye"] })).status, 200);
  const stopped = await waitStatus(run.id, "stopped");
  assert.equal(stopped.workerId, null, "the launch's hold ends with it");
});

test("checkpoint uploads: token, offsets and the sha256 are checked; a good one lands in the run's directory", async () => {
  const w = (await post("register", { ...INFO, name: "uploader", queues: ["up"] })).body.id;
  const run = await api.run.create.mutate({ ...TINY, name: "uploads", queue: "up", dataset: "default" });
  const { token } = (await post(`${w}/claim`, {})).body.assignment;
  const bytes = crypto.randomBytes(3 * 1024 * 1024 + 17);
  const sha = crypto.createHash("sha256").update(bytes).digest("hex");
  const base = `${server.url}/api/workers/upload/${run.id}/40/${sha}`;
  const up = (url: string, init: RequestInit = {}, t = token) => fetch(url, { ...init, headers: { ...bearer(key), "x-trainer-token": t, ...(init.headers as object) } });

  assert.equal((await up(base, {}, "f".repeat(48))).status, 403, "a wrong trainer token is refused");
  assert.equal((await fetch(base, { headers: { "x-trainer-token": token } })).status, 401, "so is a request without a key");
  assert.equal((await up(`${server.url}/api/workers/upload/${run.id}/40/not-a-sha`)).status, 400);
  assert.deepEqual(await (await up(base)).json(), { received: 0 });
  const first = await up(`${base}?offset=0`, { method: "PUT", body: bytes.subarray(0, 1024 * 1024) });
  assert.deepEqual(await first.json(), { received: 1024 * 1024 });
  const gap = await up(`${base}?offset=5`, { method: "PUT", body: bytes.subarray(5, 10) });
  assert.equal(gap.status, 409);
  assert.match(((await gap.json()) as { error: string }).error, /send from offset 1048576/);
  const early = await up(`${base}/commit`, { method: "POST", body: JSON.stringify({ bytes: bytes.length }), headers: { "content-type": "application/json" } });
  assert.equal(early.status, 409, "a commit before every byte arrived is refused");
  await up(`${base}?offset=${1024 * 1024}`, { method: "PUT", body: bytes.subarray(1024 * 1024) });
  const done = await up(`${base}/commit`, { method: "POST", body: JSON.stringify({ bytes: bytes.length }), headers: { "content-type": "application/json" } });
  assert.equal(done.status, 200);
  const landed = ((await done.json()) as { path: string }).path;
  assert.equal(landed, path.join(dataDir, "runs", run.id, "checkpoints", "step-000040", "checkpoint.safetensors"));
  assert.ok(fs.readFileSync(landed).equals(bytes));
  // A commit whose answer was lost is answered again, not refused.
  assert.equal((await up(`${base}/commit`, { method: "POST", body: JSON.stringify({ bytes: bytes.length }), headers: { "content-type": "application/json" } })).status, 200);

  // Bytes that do not hash to the name are discarded at the commit.
  const liar = `${server.url}/api/workers/upload/${run.id}/60/${"0".repeat(64)}`;
  await up(`${liar}?offset=0`, { method: "PUT", body: bytes.subarray(0, 100) });
  const refused = await up(`${liar}/commit`, { method: "POST", body: JSON.stringify({ bytes: 100 }), headers: { "content-type": "application/json" } });
  assert.equal(refused.status, 422);
  assert.deepEqual(await (await up(liar)).json(), { received: 0 });
  assert.ok(!fs.existsSync(path.join(dataDir, "runs", run.id, "checkpoints", "step-000060")));
});

test("a worker fetches only its own run's files, and only the files its dataset lists", async () => {
  const w = (await post("register", { ...INFO, name: "fetcher", queues: ["files"] })).body.id;
  const mine = await api.run.create.mutate({ ...TINY, name: "mine", queue: "files", dataset: "default" });
  await post(`${w}/claim`, {});
  const other = await api.run.create.mutate({ ...TINY, name: "not-mine", queue: "elsewhere", dataset: "default" });
  const get = (route: string) => fetch(`${server.url}/api/workers/${w}/runs/${route}`, { headers: bearer(key) });
  assert.equal((await get(`${other.id}/dataset/manifest.json`)).status, 403);
  assert.equal((await get(`${mine.id}/dataset/..%2F..%2Fapp.db`)).status, 400);
  assert.equal((await get(`${mine.id}/checkpoint/${other.id}/0`)).status, 403);
  assert.equal((await get(`${mine.id}/checkpoint/${mine.id}/20`)).status, 404);
  assert.equal((await get(`${mine.id}/eval/0`)).status, 404, "synthetic benchmarks have no file to fetch");
});

test("a worker that stops heartbeating loses its run: crashed, then queued again under the restart policy", async () => {
  const w = (await post("register", { ...INFO, name: "vanishing", queues: ["gone"] })).body.id;
  const run = await api.run.create.mutate({ ...TINY, name: "orphaned", queue: "gone", dataset: "default", restartOnCrash: true, maxRestarts: 2 });
  await post(`${w}/claim`, {});
  const requeued = await waitFor(async () => {
    const r = await api.run.get.query({ id: run.id });
    return r.status === "queued" && r.restarts === 1 ? r : null;
  });
  assert.equal(requeued.workerId, null);
  const alerts = await api.alert.list.query({ runId: run.id });
  assert.ok(alerts.some((a) => a.type === "crash" && /vanishing .* stopped heartbeating/.test(a.message)), JSON.stringify(alerts.map((a) => a.message)));
  // Its heartbeat, when it comes back, says the run is no longer its own.
  assert.deepEqual((await post(`${w}/heartbeat`, { runs: [{ runId: run.id, phase: "training" }] })).body.lost, [run.id]);
  await api.run.stop.mutate({ id: run.id });
});

async function waitFor<T>(check: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

function waitStatus(id: string, status: string) {
  return waitFor(async () => {
    const r = await api.run.get.query({ id });
    return r.status === status ? r : null;
  });
}
