import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { ADMIN_ENV } from "../helpers/auth";
import { SMALL_SPEC, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";
import { startWorker, writeKey, type TestWorker } from "../helpers/worker";

const dataDir = tempDataDir("worker-shared");
let server: TestServer;
let worker: TestWorker | null = null;
after(async () => {
  if (worker && worker.proc.exitCode === null) worker.proc.kill("SIGKILL");
  await server?.stop();
});

test("a worker on the server's storage (--shared-storage) trains in the server's run directory: nothing fetched, nothing uploaded", async () => {
  server = await startServer(dataDir, ADMIN_ENV);
  const { key, api } = await writeKey(server.url);
  const d = await api.dataset.prepare.mutate(SMALL_SPEC);
  await waitFor("the dataset", async () => (await api.dataset.get.query({ id: d.id })).status === "ready", 300_000);
  const run = await api.run.create.mutate({ ...TINY, dataset: d.id, name: "shared", steps: 40, checkpointInterval: 20, evals: [], queue: "nfs" });
  const workerDir = tempDataDir("worker-shared-own");
  worker = startWorker(server.url, key, workerDir, ["--queue", "nfs", "--shared-storage"]);
  await waitFor("the run completed", async () => {
    const r = await api.run.get.query({ id: run.id });
    if (r.status === "failed" || r.status === "crashed") throw new Error(`${r.status}: ${r.error}\n${worker!.output()}`);
    return r.status === "completed";
  }, 180_000);
  const steps = (await api.checkpoint.list.query({ runId: run.id })).map((c) => c.step);
  assert.deepEqual(steps, [40, 20]);
  const log = fs.readFileSync(path.join(dataDir, "runs", run.id, "trainer.log"), "utf8");
  assert.doesNotMatch(log, /uploaded/, "no checkpoint was uploaded");
  assert.doesNotMatch(worker.output(), /fetched what it needs/);
  assert.ok(!fs.existsSync(path.join(workerDir, "datasets")) && !fs.existsSync(path.join(workerDir, "runs")), "the worker's own DATA_DIR stayed empty");
  assert.equal((await api.worker.list.query())[0].info.sharedStorage, true);
});
