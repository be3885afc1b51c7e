// Spike forensics through the API: a finished run's batch at a step rebuilt (progress, then rows
// with their documents and losses, cached), bad requests refused, per-layer norms against their
// medians from stored metrics, and a fork that excludes a document, goes on from the parent's
// checkpoint step, and never trains on that document.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { listCheckpoints } from "../../formats/checkpoint";
import { readManifest } from "../../formats/dataset";
import type { RebuiltBatch } from "../../lib/forensics";
import { loadCheckpoint } from "../../trainer/checkpoint/checkpoint";
import { excludeData } from "../../trainer/data/exclude-stream";
import { loadDomains } from "../../trainer/data/load";
import { toOriginal } from "../../trainer/data/stream-filter";
import { rebuildBatch } from "../../trainer/forensics/rebuild";
import { openTestDb } from "../helpers/db";
import { startServer, tempDataDir, waitFor, type TestServer } from "../helpers/server";
import { writeTokenDataset } from "../helpers/token-dataset";

let server: TestServer;
const dataDir = tempDataDir("forensics");
const dataset = writeTokenDataset(dataDir, {
  vocabSize: 64,
  domains: [
    { name: "web", weight: 0.6, trainTokens: 4_000, valTokens: 500 },
    { name: "code", weight: 0.4, trainTokens: 3_000, valTokens: 500 },
  ],
});
before(async () => {
  server = await startServer(dataDir);
});
after(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const RUN = {
  nLayer: 1, nHead: 2, dModel: 16, contextLength: 16, batchSize: 8, lr: 3e-3, minLr: 3e-4, warmupSteps: 2, evals: [],
  evalInterval: 1000, evalBatches: 1, checkpointInterval: 10, logInterval: 1, backend: "wasm" as const, dataset: dataset.id,
  // Off here, so that the median math can be checked on known values written below (the browser test reads the trainer's own).
  layerStatsInterval: 0,
};
const finished = (id: string) => async () => {
  const run = await server.api.run.get.query({ id });
  return run.status === "completed" || run.status === "failed" ? run : null;
};

async function rebuilt(runId: string, step: number) {
  const seen: number[] = [];
  const answer = await waitFor(`batch of step ${step}`, async () => {
    const a = await server.api.forensics.batch.mutate({ runId, step });
    if (a.state === "running") seen.push(a.fraction);
    return a.state === "done" ? a : null;
  }, 120_000);
  return { answer, seen };
}

test("a step's batch is rebuilt with its documents and losses, cached, and a fork without a document never trains on it", async () => {
  const parent = await server.api.run.create.mutate({ ...RUN, name: "parent", steps: 30 });
  const done = await waitFor("parent", finished(parent.id), 120_000);
  assert.equal(done.status, "completed", done.error ?? "");

  await assert.rejects(server.api.forensics.batch.mutate({ runId: parent.id, step: 5 }), /no checkpoint at or before step 5; its first is at step 10/);
  await assert.rejects(server.api.forensics.batch.mutate({ runId: parent.id, step: 30 }), /past the run's last step \(29\)/);
  await assert.rejects(server.api.forensics.batch.mutate({ runId: "nope", step: 12 }), /No run with id nope/);
  await assert.rejects(server.api.forensics.batch.mutate({ runId: parent.id, step: -1 }), /step must be at least 0/);

  // Per-layer gradient norms under the trainer's keys, with known values (this run logs none itself).
  const db = await openTestDb(dataDir);
  for (let step = 0; step < 30; step++)
    for (const [row, value] of [["emb", 0.5], ["00", step === 17 ? 12 : 1 + (step % 3) * 0.1], ["lnf", 0.2]] as const)
      await db.run(`INSERT INTO "Metric" ("runId", "key", "step", "value", "wallTime") VALUES (?, ?, ?, ?, ?)`, parent.id, `layers/grad_norm/${row}`, step, value, 1);
  await db.close();

  const { answer: a, seen } = await rebuilt(parent.id, 17);
  assert.ok(seen.length > 0, "the first answer is a running job with its progress");
  assert.equal(a.checkpointStep, 10);
  assert.equal(a.rows.length, 8);
  assert.ok(a.rows.every((r) => r.loss !== null && r.loss > 0), JSON.stringify(a.rows.map((r) => r.loss)));
  assert.ok(a.loggedLoss !== null);
  // The mean of the rows' losses is the step's loss only with the step's own weights; with step 10's it is near.
  const mean = a.rows.reduce((n, r) => n + r.loss!, 0) / a.rows.length;
  assert.ok(Math.abs(mean - a.loggedLoss!) < 1, `mean row loss ${mean} vs logged ${a.loggedLoss}`);
  assert.equal(a.decoded, false, "the synthetic dataset has no real tokenizer");
  assert.deepEqual(a.caveats, []);
  assert.equal(a.layersNote, null);
  assert.deepEqual(a.layers.map((l) => l.row), ["emb", "00", "lnf"]);
  assert.deepEqual(a.layers[1], { row: "00", value: 12, median: 1.1, ratio: 12 / 1.1, window: 17 });
  assert.equal(a.layers[0].ratio, 1);
  const sha = (await server.api.checkpoint.list.query({ runId: parent.id })).find((c) => c.step === 10)!.sha256;
  assert.ok(fs.existsSync(path.join(dataDir, "runs", parent.id, "forensics", `step-17-from-10-${sha.slice(0, 12)}.json`)));
  const again = await server.api.forensics.batch.mutate({ runId: parent.id, step: 17 });
  assert.equal(again.state, "done", "answered from the cache");

  // Exclude the document of row 0's first piece.
  const piece = a.rows[0].pieces[0];
  const doc = { domain: a.rows[0].domain, start: piece.docStart, length: piece.docLength! };
  await assert.rejects(
    server.api.forensics.fork.mutate({ runId: parent.id, step: 17, exclude: { domains: ["books"], documents: [{ ...doc, length: 1e6 }] } }),
    /exclude.domains.0: unknown domain books.*exclude.documents.0: tokens .* lie outside domain/,
  );
  const child = await server.api.forensics.fork.mutate({ runId: parent.id, step: 17, exclude: { domains: [], documents: [doc] } });
  assert.deepEqual(child.config.initFrom, { runId: parent.id, step: 10, continue: true });
  assert.deepEqual(child.config.exclude.documents, [doc]);
  const childDone = await waitFor("child", finished(child.id), 120_000);
  assert.equal(childDone.status, "completed", childDone.error ?? "");
  const log = fs.readFileSync(path.join(dataDir, "runs", child.id, "trainer.log"), "utf8");
  assert.match(log, new RegExp(`continued run ${parent.id} from its step 10`));
  const loss = await server.api.metric.history.query({ runId: child.id, keys: ["loss"] });
  const steps = loss.loss.map((p) => p.step);
  assert.equal(Math.min(...steps), 10, "the fork starts at the parent's checkpoint step");

  const { answer: c } = await rebuilt(child.id, 12);
  assert.equal(c.checkpointStep, 10, "the fork's own first checkpoint");
  assert.equal(c.layersNote, "no per-layer statistics logged for this run");
  assert.deepEqual(c.excluded, { domains: [], documents: 1 });

  // Every batch the fork trained on, rebuilt from its own checkpoints: none holds a token of the excluded document.
  const manifest = readManifest(dataDir, dataset.id)!;
  const childRun = path.join(dataDir, "runs", child.id);
  const ckpts = listCheckpoints(childRun).sort((x, y) => x.step - y.step);
  assert.equal(ckpts[0].step, 10);
  let windows = 0;
  for (let step = 10; step < 30; step++) {
    const state = loadCheckpoint(ckpts.filter((c) => c.step <= step).at(-1)!.file);
    const domains = excludeData(loadDomains(manifest, dataDir), state.config.exclude, Object.keys(manifest.domains));
    const r = rebuildBatch(state.config, domains, state, step, { vocabSize: 64, maskId: 63 });
    for (const { domain, start } of r.sources) {
      if (domain !== doc.domain) continue;
      const d = domains.find((x) => x.name === domain)!;
      for (let i = 0; i <= 16; i++) {
        const o = toOriginal(d.origin ?? null, (start + i) % d.train.length);
        assert.ok(o < doc.start || o >= doc.start + doc.length, `step ${step} trained on token ${o} of the excluded document`);
      }
      windows++;
    }
  }
  assert.ok(windows > 20, `${windows} windows of ${doc.domain} checked`);
  // And the parent's rebuilt batch at the same step did hold it.
  const parentRows = (a as RebuiltBatch).rows.filter((r) => r.pieces.some((p) => p.docStart === doc.start && r.domain === doc.domain));
  assert.ok(parentRows.length > 0);
});
