import assert from "node:assert/strict";
import path from "node:path";
import { after, test } from "node:test";
import { openTestDb } from "../helpers/db";
import { prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";
import { alive, loggedStep, loggedSteps, metricCounts, sleep, trainerPid } from "../helpers/trainer-proc";

const STEPS = 900;
const EVAL = 50;

const dataDir = tempDataDir("chaos-server");
let server: TestServer;
let pid: number | null = null;
after(async () => {
  await server?.stop();
  if (pid && alive(pid)) process.kill(pid, "SIGKILL");
});

test("kill -9 of the server: the trainer keeps training, is adopted by the next server and completes with every metric", async () => {
  server = await startServer(dataDir);
  const dataset = await prepareSmall(server);
  const run = await server.api.run.create.mutate({ ...TINY, dataset, name: "server-chaos", steps: STEPS, evalInterval: EVAL, checkpointInterval: 150, seed: 11, evals: [] });
  // A second run, whose trainer dies while no server watches: it must crash, alert and restart.
  const doomed = await server.api.run.create.mutate({ ...TINY, dataset, name: "dies-unwatched", steps: 5000, checkpointInterval: 50, evals: [], restartOnCrash: true, maxRestarts: 2 });
  await waitFor("50 steps", async () => (await server.api.run.get.query({ id: run.id })).step >= 50);
  pid = trainerPid(run.id);
  assert.ok(pid, "the trainer process is found");
  const doomedPid = await waitFor("the second trainer", () => trainerPid(doomed.id));
  const port = new URL(server.url).port;
  const log = path.join(dataDir, "runs", run.id, "trainer.log");

  const exited = new Promise((r) => server.proc.once("exit", r));
  server.proc.kill("SIGKILL");
  await exited;
  const stepAtKill = loggedStep(log);
  const killedAt = Date.now();
  // The trainer should go on training unseen; give it a bounded time to show that.
  while (alive(pid) && loggedStep(log) < stepAtKill + 60 && Date.now() - killedAt < 60_000) await sleep(200);
  const survived = alive(pid);
  const advanced = loggedStep(log) - stepAtKill;
  console.log(
    `chaos-server: trainer ${survived ? "alive" : `dead after ${((Date.now() - killedAt) / 1000).toFixed(1)} s`} ` +
      `and ${advanced} steps further (logged step ${stepAtKill} at the kill, ${loggedStep(log)} now) with the server down`,
  );
  if (alive(doomedPid)) process.kill(doomedPid, "SIGKILL");
  assert.ok(survived, "the trainer survives the server");
  assert.ok(advanced > 0, "the trainer trains on while the server is down");

  // Training goes on during the restart too; the new server adopts the trainer.
  server = await startServer(dataDir, { PORT: port });
  const final = await waitFor("the run ends", async () => {
    const r = await server.api.run.get.query({ id: run.id });
    return ["completed", "failed", "crashed", "stopped"].includes(r.status) ? r : null;
  }, 300_000);
  // The run whose trainer died unwatched crashed, said so, and was restarted by its policy.
  const crash = await waitFor("the crash alert", async () => (await server.api.alert.list.query({ runId: doomed.id })).find((a) => a.type === "crash"), 60_000);
  const restarted = await waitFor("the restart", async () => {
    const r = await server.api.run.get.query({ id: doomed.id });
    return r.restarts === 1 && r.status === "running" ? r : null;
  }, 120_000);
  console.log(`chaos-server: the run whose trainer died unwatched: crash alert "${crash.message.slice(0, 120)}", restarted ${restarted.restarts}×, ${restarted.status}`);
  await server.api.run.stop.mutate({ id: doomed.id });

  const db = await openTestDb(dataDir, { readonly: true });
  const found = await metricCounts(db, run.id);
  await db.close();
  const perStep = [...found.keys()].filter((k) => k.endsWith("@0") && !k.startsWith("val_")).map((k) => k.slice(0, -2));
  const expected = [
    ...perStep.flatMap((key) => loggedSteps(key, STEPS).map((s) => `${key}@${s}`)),
    ...["val_loss", "val_ppl", "val_bpb"].flatMap((key) => [...Array.from({ length: STEPS / EVAL }, (_, i) => i * EVAL), STEPS].map((s) => `${key}@${s}`)),
  ];
  const missing = expected.filter((k) => !found.has(k));
  const duplicated = [...found.values()].filter((c) => c > 1).length;
  console.log(
    `chaos-server: run ${final.status}${final.error ? ` (${final.error})` : ""}, restarts ${final.restarts}; metric rows expected ${expected.length}, ` +
      `found ${found.size}, missing ${missing.length}, duplicated ${duplicated}`,
  );
  assert.equal(final.status, "completed", final.error ?? "");
  assert.equal(final.restarts, 0, "the same trainer finished the run");
  assert.ok(perStep.includes("loss"), "per-step keys are stored");
  assert.deepEqual(missing, []);
  assert.equal(found.size, expected.length);
  assert.equal(duplicated, 0);
});
