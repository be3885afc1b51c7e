import assert from "node:assert/strict";
import net from "node:net";
import { after, test } from "node:test";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type { AppRouter } from "../../server/trpc/router";
import { ADMIN_ENV, bearer } from "../helpers/auth";
import { openTestDb } from "../helpers/db";
import { SMALL_SPEC, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";
import { metricCounts, sleep } from "../helpers/trainer-proc";
import { startWorker, writeKey, type TestWorker } from "../helpers/worker";

const dataDir = tempDataDir("worker-restart");
let server: TestServer | null = null;
let worker: TestWorker | null = null;
after(async () => {
  if (worker && worker.proc.exitCode === null) worker.proc.kill("SIGKILL");
  await server?.stop();
});

/** A port free now, so that the server comes back where its worker and trainer expect it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

test("kill -9 of the server while a worker trains: the restarted server adopts the run, and it completes with every step once and no restart", async () => {
  const env = { ...ADMIN_ENV, PORT: String(await freePort()), WORKER_LEASE_TTL_MS: "10000" };
  server = await startServer(dataDir, env);
  const { key, api } = await writeKey(server.url);
  const d = await api.dataset.prepare.mutate(SMALL_SPEC);
  await waitFor("the dataset", async () => (await api.dataset.get.query({ id: d.id })).status === "ready", 300_000);
  const STEPS = 300;
  const run = await api.run.create.mutate({ ...TINY, dataset: d.id, name: "through-a-restart", steps: STEPS, checkpointInterval: 100, evalInterval: 100, evals: [], queue: "gpu", anomaly: { throughputPatience: 10_000 } });
  worker = startWorker(server.url, key, tempDataDir("worker-restart-w"), ["--queue", "gpu"]);
  await waitFor("training on the worker", async () => (await api.run.get.query({ id: run.id })).step > 20, 180_000);

  server.proc.kill("SIGKILL");
  await new Promise((r) => server!.proc.once("exit", r));
  await sleep(2000);
  server = await startServer(dataDir, env);
  assert.match(server.output(), new RegExp(`run ${run.id}: on queue gpu`), "the restarted server took the run on");
  const again = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${server.url}/api/trpc`, headers: bearer(key) })] });
  const final = await waitFor("the run completed", async () => {
    const r = await again.run.get.query({ id: run.id });
    if (r.status === "failed" || r.status === "crashed") throw new Error(`run ${r.status}: ${r.error}\nworker:\n${worker!.output()}`);
    return r.status === "completed" ? r : null;
  }, 300_000);
  assert.equal(final.restarts, 0, "the worker's hold outlived the restart");
  assert.match(worker.output(), /heartbeat failed/, "the worker saw the server go");
  const db = await openTestDb(dataDir, { readonly: true });
  const counts = await metricCounts(db, run.id);
  await db.close();
  const steps = [...counts.keys()].filter((k) => k.startsWith("loss@")).map((k) => Number(k.slice(5))).sort((x, y) => x - y);
  assert.ok(steps.length >= STEPS - 1 && steps.at(-1)! - steps[0] + 1 === steps.length, `every step's loss is stored (${steps.length}, ${steps[0]}…${steps.at(-1)})`);
  assert.equal([...counts.values()].filter((c) => c > 1).length, 0, "none twice");
});
