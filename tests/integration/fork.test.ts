import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";

let server: TestServer;
let dataset: string;
const dataDir = tempDataDir("fork");
before(async () => {
  server = await startServer(dataDir);
  dataset = await prepareSmall(server);
});
after(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const done = (id: string) => async () => {
  const run = await server.api.run.get.query({ id });
  return run.status === "completed" || run.status === "failed" ? run : null;
};

test("a run forked from a checkpoint trains from it, and the lineage shows on both runs", async () => {
  const parent = await server.api.run.create.mutate({ ...TINY, name: "parent", dataset, steps: 100, checkpointInterval: 50 });
  await waitFor("parent", done(parent.id), 120_000);
  const child = await server.api.run.create.mutate({
    ...TINY, name: "child", dataset, steps: 30, lr: 1e-3, initFrom: { runId: parent.id, step: 100 }, mixWeights: { code: 3 },
  });
  const finished = await waitFor("child", done(child.id), 120_000);
  assert.equal(finished.status, "completed", finished.error ?? "");
  assert.equal(finished.config.initFrom?.runId, parent.id);
  assert.deepEqual(await server.api.run.forks.query({ id: parent.id }), [{ id: child.id, name: "child", step: 100, status: "completed" }]);
  assert.deepEqual(await server.api.run.forks.query({ id: child.id }), []);
  const log = fs.readFileSync(`${dataDir}/runs/${child.id}/trainer.log`, "utf8");
  assert.match(log, new RegExp(`forked from run ${parent.id} at step 100`));

  await assert.rejects(
    server.api.run.create.mutate({ ...TINY, name: "wider", dataset, dModel: 64, initFrom: { runId: parent.id, step: 100 } }),
    /Cannot fork: dModel is 64, the parent's is 32/,
  );
  await assert.rejects(server.api.run.create.mutate({ ...TINY, name: "x", dataset, initFrom: { runId: parent.id, step: 7 } }), /has no checkpoint at step 7/);
  await assert.rejects(server.api.run.create.mutate({ ...TINY, name: "x", dataset, initFrom: { runId: "nope", step: 0 } }), /no run with id nope/);
  await assert.rejects(server.api.run.create.mutate({ ...TINY, name: "x", dataset, mixWeights: "code" as never }), /A JSON object of domain weights/);
});
