import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { EV } from "../../lib/protocol";
import { browserSocket, prepareSmall, SMALL_SPEC, startServer, tempDataDir, waitFor, type TestServer } from "../helpers/server";

let server: TestServer;
before(async () => {
  server = await startServer(tempDataDir("datasets"));
});
after(async () => {
  await server?.stop();
});

test("preparing a dataset streams progress, writes shards and a manifest, and a second request is a cache hit", async () => {
  const socket = await browserSocket(server.url);
  socket.emit(EV.datasetsSubscribe);
  const fractions: number[] = [];
  socket.on(EV.datasetProgress, (p: { progress: number }) => fractions.push(p.progress));

  const id = await prepareSmall(server);
  socket.close();
  assert.ok(fractions.length >= 3, `progress was pushed (${fractions.length} updates)`);
  const d = await server.api.dataset.get.query({ id });
  assert.equal(d.status, "ready");
  const m = d.manifest!;
  assert.deepEqual(Object.keys(m.domains).sort(), ["books", "code", "dialogue", "web"]);
  assert.equal(m.tokenizer.vocabSize, 512);
  for (const shard of m.shards) {
    const bytes = fs.statSync(path.join(server.dataDir, "datasets", id, shard.file)).size;
    assert.equal(bytes, shard.tokens * 2, `${shard.file} holds uint16 tokens`);
  }
  const weights = Object.values(m.domains).reduce((a, x) => a + x.weight, 0);
  assert.ok(Math.abs(weights - 1) < 1e-9, "weights are normalised");
  assert.ok(m.stages.some((s) => s.step.startsWith("dedup")));
  assert.ok(JSON.parse(fs.readFileSync(path.join(server.dataDir, "datasets", id, "tokenizer.json"), "utf8")).model.type === "BPE");

  const mtime = fs.statSync(path.join(server.dataDir, "datasets", id, "manifest.json")).mtimeMs;
  const again = await server.api.dataset.prepare.mutate({ ...SMALL_SPEC, name: "same settings, new name" });
  assert.equal(again.id, id);
  assert.equal(again.status, "ready", "the same settings are not prepared twice");
  assert.equal(fs.statSync(path.join(server.dataDir, "datasets", id, "manifest.json")).mtimeMs, mtime);
  assert.equal((await server.api.dataset.list.query()).length, 1);
});

test("a preparation can be cancelled, and bad specs are refused", async () => {
  const big = await server.api.dataset.prepare.mutate({ name: "full", tokenizer: { vocabSize: 4096, trainBytes: 8_000_000 } });
  await waitFor("preparation to start", async () => (await server.api.dataset.get.query({ id: big.id })).status === "preparing", 60_000);
  await server.api.dataset.cancel.mutate({ id: big.id });
  await waitFor("cancelled", async () => (await server.api.dataset.get.query({ id: big.id })).status === "cancelled", 60_000);
  assert.ok(!fs.existsSync(path.join(server.dataDir, "datasets", big.id)), "no half-written dataset is left");

  await assert.rejects(server.api.dataset.prepare.mutate({ name: "x", tokenizer: { vocabSize: 100 } } as never), /vocabSize/);
  await assert.rejects(server.api.dataset.prepare.mutate({ name: "x", sources: [{ domain: "mine", kind: "folder", path: "/nonexistent", weight: 1 }] } as never), /must lie inside DATA_DIR/);
  await assert.rejects(server.api.dataset.get.query({ id: "ds-0000000000000000" }), /No dataset/);
});
