import assert from "node:assert/strict";
import { after, test } from "node:test";
import { layerKey } from "../../lib/layer-stats";
import { EV, type MetricPoint } from "../../lib/protocol";
import { layerStatKeys } from "../../trainer/loop/layer-stats";
import { openTestDb } from "../helpers/db";
import { browserSocket, prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";

const dataDir = tempDataDir("layer-stats");
let server: TestServer;
after(async () => {
  await server?.stop();
});

test("a run with layerStatsInterval logs every key of every row and head at the stats steps, live and stored", async () => {
  server = await startServer(dataDir);
  const dataset = await prepareSmall(server);
  const socket = await browserSocket(server.url);
  const live: MetricPoint[] = [];
  const model = { nLayer: 2, nHead: 2 };
  const created = await server.api.run.create.mutate({ ...TINY, ...model, steps: 22, evalInterval: 100, name: "layer-stats", dataset, layerStatsInterval: 5 });
  socket.emit(EV.runSubscribe, created.id);
  socket.on(EV.metricBatch, (msg: { runId: string; points: MetricPoint[] }) => msg.runId === created.id && live.push(...msg.points));
  await waitFor("the run to complete", async () => {
    const r = await server.api.run.get.query({ id: created.id });
    if (r.status === "failed" || r.status === "crashed") throw new Error(`run ${r.status}: ${r.error}`);
    return r.status === "completed";
  }, 240_000);

  const expected = layerStatKeys(model);
  assert.equal(expected.length, 5 * 4 + 2 * 2 + 2);
  const db = await openTestDb(dataDir, { readonly: true });
  const rows = await db.all<{ key: string; step: number; value: number | null }>(
    `SELECT "key", "step", "value" FROM "Metric" WHERE "runId" = ? AND ("key" LIKE 'layers/%' OR "key" LIKE 'logits/%') ORDER BY "key", "step"`, created.id);
  await db.close();
  const stored = new Map<string, number[]>();
  for (const r of rows) stored.set(r.key, [...(stored.get(r.key) ?? []), r.step]);
  assert.deepEqual([...stored.keys()].sort(), [...expected].sort());
  for (const key of expected) assert.deepEqual(stored.get(key), [0, 5, 10, 15, 20], key);
  assert.ok(rows.every((r) => r.value !== null && Number.isFinite(r.value)), "every value is finite");
  const value = (key: string, step: number) => rows.find((r) => r.key === key && r.step === step)!.value!;
  assert.ok(value(layerKey("update_ratio", { block: 0 }), 10) > 0 && value(layerKey("update_ratio", { block: 0 }), 10) < 1);
  for (const head of [0, 1]) assert.ok(value(layerKey("attn_entropy", { block: 1, head }), 20) <= Math.log(TINY.contextLength) + 1e-6);

  // Streamed live too, and listed by the run's keys (what the run page reads to show its Layers section).
  for (const key of expected) assert.ok(live.some((p) => p.key === key && p.step === 5), `${key} streamed`);
  const { keys } = await server.api.metric.keys.query({ runId: created.id });
  for (const key of expected) assert.ok(keys.some((k) => k.key === key && k.minStep === 0 && k.maxStep === 20 && k.count === 5), key);
  socket.close();
});
