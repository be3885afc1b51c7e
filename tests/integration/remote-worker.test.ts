import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { decodeSafetensors } from "../../formats/safetensors";
import { ADMIN_ENV } from "../helpers/auth";
import { openTestDb } from "../helpers/db";
import { SMALL_SPEC, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";
import { alive, metricCounts, sleep } from "../helpers/trainer-proc";
import { networkNamespace, startWorker, writeKey, type TestWorker } from "../helpers/worker";

const STEPS = 160;
const LEASE_TTL_MS = 3000;

const serverDir = tempDataDir("remote-server");
let server: TestServer;
const workers: TestWorker[] = [];
// Each of the first two workers in a network namespace of its own where this machine allows one
// (root): the server is then reached only over a veth link, never over a shared loopback.
const nets = [networkNamespace(1), networkNamespace(2)];
after(async () => {
  for (const w of workers) if (w.proc.exitCode === null) w.proc.kill("SIGKILL");
  await server?.stop();
  for (const n of nets) n?.remove();
});

const stepDir = (step: number) => `step-${String(step).padStart(6, "0")}`;

test("a run queued for workers trains on one, survives kill -9 of it, resumes on another and ends bit-identical to a local run", async () => {
  const isolated = nets.every((n) => n !== null);
  if (!isolated) console.log("remote-worker: no network namespaces here (they need root and iproute2); the workers share this machine's network");
  server = await startServer(serverDir, {
    ...ADMIN_ENV, WORKER_LEASE_TTL_MS: String(LEASE_TTL_MS), MAX_TRAINERS: "2",
    ...(isolated ? { HOST: "0.0.0.0", ALLOWED_HOSTS: nets.map((n) => n!.hostIp).join(",") } : {}),
  });
  const port = new URL(server.url).port;
  const addressFrom = (i: number) => (isolated ? `http://${nets[i]!.hostIp}:${port}` : server.url);
  if (isolated) {
    // From inside a namespace the server's loopback address leads nowhere; only the veth link does.
    const probe = (url: string) => spawnSync("ip", ["netns", "exec", nets[0]!.name, process.execPath, "-e", `fetch(${JSON.stringify(url)}).then(() => process.exit(0), () => process.exit(1))`]).status;
    assert.equal(probe(server.url), 1, "the worker's namespace cannot reach the server's loopback");
    assert.equal(probe(addressFrom(0)), 0, "it reaches the server over its link");
  }
  const { key, api } = await writeKey(server.url);
  const d = await api.dataset.prepare.mutate(SMALL_SPEC);
  await waitFor("the dataset", async () => (await api.dataset.get.query({ id: d.id })).status === "ready", 300_000);
  const config = { ...TINY, dataset: d.id, steps: STEPS, checkpointInterval: 20, evalInterval: 40, seed: 777, evals: [], restartOnCrash: true, maxRestarts: 5 };

  const reference = await api.run.create.mutate({ ...config, name: "local-reference" });
  const queuedAt = Date.now();
  const remote = await api.run.create.mutate({ ...config, name: "on-a-worker", queue: "gpu" });
  const get = () => api.run.get.query({ id: remote.id });
  // No worker pulls from "gpu" yet: the server does not start it itself.
  await sleep(1500);
  assert.equal((await get()).status, "queued");
  assert.equal((await get()).workerId, null);

  // 1. A worker with its own data directory takes it and trains it end to end up to a checkpoint.
  const w1Dir = tempDataDir("remote-w1");
  const w1 = startWorker(addressFrom(0), key, w1Dir, ["--queue", "gpu", "--name", "first"], {}, nets[0]?.name);
  workers.push(w1);
  await waitFor("the first step on the worker", async () => (await get()).step > 0, 180_000).catch((e: Error) => {
    throw new Error(`${e.message}\nworker:\n${w1.output()}\nserver:\n${server.output().slice(-3000)}`);
  });
  const firstStepMs = Date.now() - queuedAt;
  const onW1 = await get();
  assert.equal(onW1.status, "running");
  assert.ok(onW1.workerId, "the run names its worker");
  const listed = await api.worker.list.query();
  const first = listed.find((w) => w.id === onW1.workerId)!;
  assert.equal(first.name, "first");
  assert.equal(first.state, "busy");
  assert.deepEqual(first.queues, ["gpu"]);
  assert.ok(first.info.backends.length > 0 && first.info.autoBackend, "it says which backends it can start");
  assert.deepEqual(first.runs.map((r) => r.id), [remote.id]);
  assert.deepEqual((await api.worker.queues.query()).map((q) => q.name), ["gpu"]);

  // Its checkpoints reach the server's copy of the run by upload, verified there.
  await waitFor("two uploaded checkpoints", async () => (await api.checkpoint.list.query({ runId: remote.id })).length >= 2, 180_000);
  const uploaded = (await api.checkpoint.list.query({ runId: remote.id }))[0];
  assert.ok(fs.existsSync(path.join(serverDir, "runs", remote.id, "checkpoints", stepDir(uploaded.step), "checkpoint.safetensors")));
  assert.ok(fs.existsSync(path.join(w1Dir, "runs", remote.id, "checkpoints")), "the worker trained in its own DATA_DIR");
  assert.ok(fs.existsSync(path.join(w1Dir, "datasets", d.id, "manifest.json")), "it fetched the dataset");

  // 2. kill -9 the worker mid-run: its trainer goes with it.
  await waitFor("a few steps past the checkpoint", async () => (await get()).step >= uploaded.step + 5, 60_000);
  const [trainerPid] = w1.trainerPids();
  assert.ok(trainerPid && alive(trainerPid), "the worker's trainer runs");
  const killedAt = Date.now();
  w1.proc.kill("SIGKILL");
  await waitFor("the orphaned trainer gone", () => !alive(trainerPid), 30_000);
  const stepAtKill = (await get()).step;

  // 3. Its hold lapses; the run is crashed, then queued again under the restart policy.
  await waitFor("the run requeued", async () => {
    const r = await get();
    return r.status === "queued" && r.restarts === 1 && r.workerId === null;
  }, 60_000);
  const requeuedMs = Date.now() - killedAt;
  const lastUploaded = (await api.checkpoint.list.query({ runId: remote.id }))[0].step;
  const alerts = await api.alert.list.query({ runId: remote.id });
  assert.ok(alerts.some((a) => a.type === "crash" && /worker first .*stopped heartbeating/.test(a.message)), `a crash alert names the lost worker: ${JSON.stringify(alerts.map((a) => a.message))}`);
  assert.equal((await api.worker.list.query()).find((w) => w.id === first.id)?.state, "offline");

  // A second worker, with a data directory of its own, resumes it from the last uploaded checkpoint.
  const w2Dir = tempDataDir("remote-w2");
  const w2 = startWorker(addressFrom(1), key, w2Dir, ["--queue", "gpu", "--name", "second"], {}, nets[1]?.name);
  workers.push(w2);
  await waitFor("the run running on the second worker", async () => {
    const r = await get();
    return r.status === "running" && r.workerId !== null && r.workerId !== first.id;
  }, 180_000);
  const resumedMs = Date.now() - killedAt;
  await waitFor("both runs completed", async () => {
    const [a, b] = [await api.run.get.query({ id: reference.id }), await get()];
    if (a.status === "failed" || b.status === "failed") throw new Error(`a run failed: ${a.error ?? ""} ${b.error ?? ""}\n${w2.output()}`);
    return a.status === "completed" && b.status === "completed";
  }, 300_000);
  assert.match(fs.readFileSync(path.join(w2Dir, "runs", remote.id, "trainer.log"), "utf8"), new RegExp(`resumed from .*step-0*${lastUploaded}/checkpoint.safetensors at step ${lastUploaded}`), "the second trainer resumed at the last uploaded checkpoint");

  // Every metric the local run stored, once each: the steps the first worker did past its last
  // upload were done again, and stored idempotently.
  const db = await openTestDb(serverDir, { readonly: true });
  const expected = await metricCounts(db, reference.id);
  const found = await metricCounts(db, remote.id);
  await db.close();
  assert.deepEqual([...expected.keys()].filter((k) => !found.has(k)), [], "no metric missing");
  assert.deepEqual([...found.keys()].filter((k) => !expected.has(k)), [], "no metric unexpected");
  assert.equal([...found.values()].filter((c) => c > 1).length, 0, "no metric doubled");

  const final = (id: string) => decodeSafetensors(fs.readFileSync(path.join(serverDir, "runs", id, "checkpoints", stepDir(STEPS), "checkpoint.safetensors")));
  const a = final(reference.id);
  const b = final(remote.id);
  assert.deepEqual([...b.tensors.keys()], [...a.tensors.keys()]);
  for (const [name, t] of a.tensors) assert.ok(Buffer.from(b.tensors.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), `tensor ${name} differs from the local run`);
  for (const k of ["rng_state", "data_state", "optimizer_t", "tokens_seen"]) assert.equal(b.metadata[k], a.metadata[k], k);
  console.log(
    `remote-worker: queued → first step on a fresh worker ${(firstStepMs / 1000).toFixed(1)} s (worker start, registration, backend probe, dataset fetch included); ` +
      `killed at step ${stepAtKill}, last uploaded checkpoint ${lastUploaded} (steps lost ${stepAtKill - lastUploaded}); requeued ${(requeuedMs / 1000).toFixed(1)} s after the kill ` +
      `(worker lease ${LEASE_TTL_MS / 1000} s), running on the second worker ${(resumedMs / 1000).toFixed(1)} s after; final weights bit-identical; ` +
      `workers ${isolated ? "each in its own network namespace" : "on this machine's network"}`,
  );

  // A worker told to leave (a scheduler's SIGTERM: preemption, a time limit) hands its run back
  // after a last checkpoint: queued again at once, neither stopped nor counted as a crash.
  const preempted = await api.run.create.mutate({ ...config, steps: 5000, checkpointInterval: 1000, name: "preempted", queue: "gpu" });
  const getP = () => api.run.get.query({ id: preempted.id });
  await waitFor("it trains on the second worker", async () => (await getP()).step > 3, 120_000).catch(async (e: Error) => {
    throw new Error(`${e.message}: ${JSON.stringify(await getP())}\nsecond worker:\n${w2.output()}\nserver:\n${server.output().slice(-4000)}`);
  });
  w2.proc.kill("SIGTERM");
  assert.equal(await w2.exited, 0, w2.output());
  // The owner sees the hand-back at its next look, within a second.
  const handed = await waitFor("it queued again", async () => {
    const r = await getP();
    return r.status !== "running" ? r : null;
  }, 30_000);
  assert.deepEqual([handed.status, handed.restarts, handed.workerId], ["queued", 0, null], JSON.stringify(handed));
  const handedAt = (await api.checkpoint.list.query({ runId: preempted.id }))[0]?.step;
  assert.ok(handedAt !== undefined && handedAt >= 3 && handedAt <= handed.step, `its hand-back checkpoint (step ${handedAt}) was uploaded`);
  assert.equal((await api.worker.list.query()).find((w) => w.name === "second")?.state, "left");

  // The next worker resumes it there; then the server stops it on that worker: the trainer
  // checkpoints, uploads and exits, and the run is stopped.
  const w3 = startWorker(server.url, key, tempDataDir("remote-w3"), ["--queue", "gpu", "--name", "third"]);
  workers.push(w3);
  await waitFor("it trains again on the third worker", async () => (await getP()).step > handedAt + 3, 120_000);
  assert.match(w3.output(), new RegExp(`resuming from step ${handedAt}`));
  await api.run.stop.mutate({ id: preempted.id });
  const end = await waitFor("it stopped", async () => {
    const r = await getP();
    return r.status === "stopped" ? r : null;
  }, 120_000);
  assert.equal((await api.checkpoint.list.query({ runId: preempted.id }))[0]?.step, end.step, "its stop checkpoint was uploaded");
  w3.proc.kill("SIGTERM");
  assert.equal(await w3.exited, 0, w3.output());
});
