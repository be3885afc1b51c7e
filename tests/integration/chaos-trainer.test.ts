import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { decodeSafetensors } from "../../formats/safetensors";
import { openTestDb } from "../helpers/db";
import { prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";
import { alive, metricCounts, sleep, trainerPid } from "../helpers/trainer-proc";

const KILLS = 8;
const STEPS = 240;

const dataDir = tempDataDir("chaos-trainer");
let server: TestServer;
after(async () => {
  await server?.stop();
});

const stepDirs = (runDir: string) => {
  const root = path.join(runDir, "checkpoints");
  return fs.existsSync(root) ? fs.readdirSync(root).filter((d) => /^step-\d+$/.test(d)) : [];
};

test("kill -9 of the trainer, right after checkpoint renames too, loses no metric and keeps the weights bit-identical", async () => {
  server = await startServer(dataDir, { MAX_TRAINERS: "2" });
  const dataset = await prepareSmall(server);
  const config = {
    ...TINY, dataset, steps: STEPS, checkpointInterval: 30, evalInterval: 40, seed: 4242,
    restartOnCrash: true, maxRestarts: 40,
    // Benchmarks run within a share of the measured training time, so whether a round runs is not
    // a function of the seed; the uninterrupted run could not predict them.
    evals: [],
  };
  const reference = await server.api.run.create.mutate({ ...config, name: "chaos-reference" });
  const chaos = await server.api.run.create.mutate({ ...config, name: "chaos" });
  const runDir = path.join(dataDir, "runs", chaos.id);
  const status = async (id: string) => (await server.api.run.get.query({ id })).status;

  // A fixed-seed generator, so a failure can be replayed with the same kill times.
  let seed = 99;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let kills = 0;
  let afterRename = 0;
  for (let i = 0; i < KILLS; i++) {
    const pid = await waitFor("a chaos trainer", async () => trainerPid(chaos.id) ?? ((await status(chaos.id)) === "completed" ? -1 : null), 180_000);
    if (pid === -1) break;
    if (i % 2 === 0) {
      // Kill within a few ms of a new checkpoint directory appearing: between the rename and the acks.
      const before = new Set(stepDirs(runDir));
      const deadline = Date.now() + 60_000;
      while (alive(pid) && Date.now() < deadline && !stepDirs(runDir).some((d) => !before.has(d))) await sleep(2);
      if (!alive(pid)) continue;
      afterRename++;
    } else {
      await sleep(300 + random() * 2500);
      if (!alive(pid)) continue;
    }
    process.kill(pid, "SIGKILL");
    kills++;
    await waitFor("the killed trainer gone", () => !alive(pid), 30_000);
    // What a kill in the middle of writing a checkpoint leaves (too short a window to hit by chance).
    if (kills === 1) fs.mkdirSync(path.join(runDir, "checkpoints", ".tmp-step-000007-abandoned"), { recursive: true });
  }

  await waitFor("both runs completed", async () => {
    const [a, b] = [await status(reference.id), await status(chaos.id)];
    if (a === "failed" || b === "failed") throw new Error(`a run failed: reference ${a}, chaos ${b}`);
    return a === "completed" && b === "completed";
  }, 400_000);

  const db = await openTestDb(dataDir, { readonly: true });
  const expected = await metricCounts(db, reference.id);
  const found = await metricCounts(db, chaos.id);
  const missing = [...expected.keys()].filter((k) => !found.has(k));
  const unexpected = [...found.keys()].filter((k) => !expected.has(k));
  const duplicated = [...found.values()].filter((c) => c > 1).length;
  const superseded = (await db.get<{ c: number }>(`SELECT COUNT(*) AS "c" FROM "SupersededMetric" WHERE "runId" = ?`, chaos.id))!.c;
  const recorded = new Set((await db.all<{ step: number }>(`SELECT "step" FROM "Checkpoint" WHERE "runId" = ?`, chaos.id)).map((r) => r.step));
  const restarts = (await db.get<{ restarts: number }>(`SELECT "restarts" FROM "Run" WHERE "id" = ?`, chaos.id))!.restarts;
  await db.close();
  const onDisk = stepDirs(runDir).map((d) => Number(d.slice(5)));
  const unrecorded = onDisk.filter((s) => !recorded.has(s));
  const leftovers = fs.readdirSync(path.join(runDir, "checkpoints")).filter((d) => d.startsWith(".tmp-"));
  console.log(
    `chaos-trainer: ${kills} kills (${afterRename} right after a checkpoint rename), ${restarts} restarts; metric rows expected ${expected.size}, ` +
      `found ${found.size}, missing ${missing.length}, unexpected ${unexpected.length}, duplicated ${duplicated}, superseded ${superseded}; ` +
      `checkpoints on disk ${onDisk.length}, unrecorded ${unrecorded.length} [${unrecorded.join(", ")}], .tmp folders left ${leftovers.length}`,
  );

  assert.ok(kills >= KILLS / 2, `only ${kills} kills landed`);
  assert.ok(afterRename >= 2, `only ${afterRename} kills right after a rename`);
  assert.deepEqual(missing, [], "every metric of the uninterrupted run is stored");
  assert.deepEqual(unexpected, []);
  assert.equal(duplicated, 0);
  assert.equal(superseded, 0);
  assert.deepEqual(unrecorded, [], "every checkpoint on disk is recorded");
  assert.deepEqual(leftovers, [], "no temporary checkpoint folder is left behind");

  // The final weights and optimizer state match the uninterrupted run's to the bit.
  const final = (id: string) =>
    decodeSafetensors(fs.readFileSync(path.join(dataDir, "runs", id, "checkpoints", `step-${String(STEPS).padStart(6, "0")}`, "checkpoint.safetensors")));
  const a = final(reference.id);
  const b = final(chaos.id);
  assert.deepEqual([...b.tensors.keys()], [...a.tensors.keys()]);
  for (const [name, t] of a.tensors) {
    const u = b.tensors.get(name)!;
    assert.deepEqual(u.shape, t.shape, name);
    assert.ok(Buffer.from(u.data.buffer).equals(Buffer.from(t.data.buffer)), `tensor ${name} differs from the uninterrupted run`);
  }
  for (const key of ["rng_state", "data_state", "optimizer_t", "tokens_seen"]) assert.equal(b.metadata[key], a.metadata[key], key);
});
