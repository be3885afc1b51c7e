import assert from "node:assert/strict";
import fs from "node:fs";
import { after, test } from "node:test";
import { ADMIN_ENV } from "../helpers/auth";
import { cleanRedis, clusterEnv, redisMissing, redisPrefix, startInstances } from "../helpers/cluster";
import { openTestDb } from "../helpers/db";
import { SMALL_SPEC, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";
import { metricCounts } from "../helpers/trainer-proc";
import { startWorker, writeKey, type TestWorker } from "../helpers/worker";

const skip = await redisMissing();
const prefix = redisPrefix("scale-out-worker");
const dataDir = tempDataDir("scale-out-worker");
let servers: TestServer[] = [];
let worker: TestWorker | null = null;
after(async () => {
  if (worker && worker.proc.exitCode === null) worker.proc.kill("SIGKILL");
  for (const s of servers) if (s.proc.exitCode === null && s.proc.signalCode === null) await s.stop();
  if (!skip) await cleanRedis(prefix);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test("kill -9 of the instance a worker talks to: the worker and its trainer move to the other, and the run completes with every step once", { skip }, async () => {
  servers = await startInstances(2, clusterEnv(dataDir, prefix, { ...ADMIN_ENV, WORKER_LEASE_TTL_MS: "8000" }), "sw");
  const [a, b] = servers;
  const { key, api } = await writeKey(a.url);
  const { api: apiB } = await writeKey(b.url, "on-b");
  const d = await api.dataset.prepare.mutate(SMALL_SPEC);
  await waitFor("the dataset", async () => (await api.dataset.get.query({ id: d.id })).status === "ready", 300_000);
  const STEPS = 400;
  const run = await api.run.create.mutate({ ...TINY, dataset: d.id, name: "worker-failover", steps: STEPS, checkpointInterval: 100, evalInterval: 100, evals: [], queue: "gpu", anomaly: { throughputPatience: 10_000 } });

  // The worker is told only A's address; B's it learns from A.
  worker = startWorker(a.url, key, tempDataDir("scale-out-worker-w"), ["--queue", "gpu"]);
  await waitFor("training on the worker", async () => (await api.run.get.query({ id: run.id })).step > 20, 180_000);
  a.proc.kill("SIGKILL");
  await new Promise((r) => a.proc.once("exit", r));
  const final = await waitFor("the run completed through B", async () => {
    const r = await apiB.run.get.query({ id: run.id });
    if (r.status === "failed" || r.status === "crashed") throw new Error(`run ${r.status}: ${r.error}\nworker:\n${worker!.output()}\nB:\n${b.output().slice(-3000)}`);
    return r.status === "completed" ? r : null;
  }, 300_000);
  assert.equal(final.restarts, 0, "the run was never lost: the worker's heartbeats reached B in time");
  assert.equal(final.step, STEPS);
  assert.match(worker.output(), /registered with http/);
  const db = await openTestDb(dataDir, { readonly: true });
  const counts = await metricCounts(db, run.id);
  await db.close();
  const lossSteps = [...counts.keys()].filter((k) => k.startsWith("loss@")).map((k) => Number(k.slice(5))).sort((x, y) => x - y);
  assert.ok(lossSteps.length >= STEPS - 1 && lossSteps.at(-1)! - lossSteps[0] + 1 === lossSteps.length, `every step's loss is stored (${lossSteps.length} steps, ${lossSteps[0]}…${lossSteps.at(-1)})`);
  assert.equal([...counts.values()].filter((c) => c > 1).length, 0, "and none twice");
  assert.equal((await apiB.checkpoint.list.query({ runId: run.id }))[0]?.step, STEPS, "the last checkpoint was uploaded through B");
});
