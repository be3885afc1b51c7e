import assert from "node:assert/strict";
import { after, test } from "node:test";
import { prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";
import { trainerPid } from "../helpers/trainer-proc";

const dataDir = tempDataDir("queue");
let server: TestServer;
after(async () => {
  await server?.stop();
});

test("past MAX_TRAINERS runs wait queued with their position, and start in order as slots free", async () => {
  server = await startServer(dataDir, { MAX_TRAINERS: "1" });
  const dataset = await prepareSmall(server);
  const get = (id: string) => server.api.run.get.query({ id });
  const runs = [];
  for (const name of ["first", "second", "third"]) runs.push(await server.api.run.create.mutate({ ...TINY, dataset, name, evals: [] }));
  const [first, second, third] = runs;
  await waitFor("the first run training", async () => (await get(first.id)).status === "running");
  const positions = await Promise.all(runs.map(async (r) => { const s = await get(r.id); return [s.status, s.queueAhead]; }));
  const pids = runs.map((r) => trainerPid(r.id));
  console.log(`queue: ${JSON.stringify(positions)}, trainer processes ${pids.filter(Boolean).length}`);
  assert.deepEqual(positions, [["running", null], ["queued", 0], ["queued", 1]]);
  assert.deepEqual(pids.map(Boolean), [true, false, false], "only one trainer runs");

  // The third leaves the queue when stopped; the second starts when the first ends.
  await server.api.run.stop.mutate({ id: third.id });
  assert.equal((await get(third.id)).status, "stopped");
  await server.api.run.stop.mutate({ id: first.id });
  await waitFor("the second run training", async () => (await get(second.id)).status === "running");
  assert.equal((await get(first.id)).status, "stopped");
  assert.equal(trainerPid(third.id), null);
  await server.api.run.stop.mutate({ id: second.id });
  await waitFor("the second run stopped", async () => (await get(second.id)).status === "stopped");
});
