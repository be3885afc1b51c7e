// Trains on a small real mixture prepared by the dataset pipeline (sources → cleaning → BPE →
// shards), end to end.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { DatasetSpec } from "../../lib/dataset-spec";
import type { MetricPoint } from "../../lib/protocol";
import { RunConfig } from "../../lib/run-config";
import { resolveDataset } from "../../trainer/data/load";
import { train } from "../../trainer/loop/train";
import { prepareDataset } from "../../trainer/pipeline/prepare";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "train-prepared-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const spec = DatasetSpec.parse({
  name: "tiny real mixture",
  sources: [
    { domain: "web", kind: "spam-assassin", weight: 45, maxDocuments: 150 },
    { domain: "books", kind: "brown", weight: 30, maxDocuments: 40 },
    { domain: "dialogue", kind: "nlp-corpus", weight: 12, maxDocuments: 1500 },
    { domain: "code", kind: "node-modules-code", weight: 13, maxDocuments: 40 },
  ],
  tokenizer: { vocabSize: 512, trainBytes: 300_000 },
});

test("a small run on a small real prepared mixture (BPE 512) learns", async () => {
  const dataDir = path.join(root, "data");
  const manifest = await prepareDataset(spec, { dataDir });
  assert.equal(manifest.tokenizer.vocabSize, 512);
  const domains = Object.keys(manifest.domains);
  assert.ok(domains.length >= 3, `domains ${domains}`);

  const config = RunConfig.parse({
    name: "real", nLayer: 1, nHead: 2, dModel: 32, contextLength: 32, batchSize: 8, steps: 300, warmupSteps: 10,
    evalInterval: 100, evalBatches: 4, checkpointInterval: 1000, dataset: manifest.id, backend: "wasm",
  });
  const metrics: MetricPoint[] = [];
  const result = await train(config, { runDir: path.join(root, "run"), dataDir }, {
    onStart: () => {}, onMetrics: (ps) => void metrics.push(...ps), onCheckpoint: () => {}, onLog: () => {}, shouldStop: () => false,
  });
  assert.deepEqual(result, { status: "completed", step: 300 });
  const series = (key: string) => metrics.filter((m) => m.key === key).map((m) => m.value as number);
  const loss = series("loss");
  assert.ok(Math.abs(loss[0] - Math.log(512)) < 0.2, `initial loss ${loss[0]} is near ln 512`);
  const lastFive = loss.slice(-5).reduce((a, b) => a + b, 0) / 5;
  assert.ok(lastFive < loss[0] - 1, `loss ${loss[0]} → ${lastFive}`);
  assert.ok(series("val_loss").at(-1)! < series("val_loss")[0]);
  // Bits per byte: the same fixed val windows each time, so val_bpb / val_loss is one constant,
  // 1 / (bytes per token × ln 2), near the manifest's bytes per token (measured on training text).
  const val = series("val_loss");
  const bpb = series("val_bpb");
  assert.equal(bpb.length, val.length);
  const ratios = bpb.map((b, i) => b / val[i]);
  for (const r of ratios) assert.ok(Math.abs(r - ratios[0]) < 1e-9 * ratios[0], `ratios ${ratios}`);
  const manifestBpt = Object.values(manifest.domains).reduce((n, d) => n + d.weight * d.bytesPerToken, 0);
  const measuredBpt = 1 / (ratios[0] * Math.LN2);
  assert.ok(Math.abs(measuredBpt - manifestBpt) < 0.25 * manifestBpt, `val bytes per token ${measuredBpt} vs manifest ${manifestBpt}`);
  assert.equal(series("bpb").length, 300);
  for (const d of domains) {
    const share = series(`data/share/${d.replace(/-/g, "_")}`);
    assert.equal(share.length, 300, d);
    assert.ok(Math.abs(share.at(-1)! - manifest.domains[d].weight) < 0.05, `${d} share ${share.at(-1)} vs weight ${manifest.domains[d].weight}`);
  }
});

test("dataset `default` is prepared on first use with throttled progress lines, then read from the cache", async () => {
  const dataDir = path.join(root, "default-data");
  const lines: { at: number; text: string }[] = [];
  const manifest = await resolveDataset("default", dataDir, (text) => void lines.push({ at: Date.now(), text }));
  assert.equal(manifest.tokenizer.vocabSize, DatasetSpec.parse({ name: "x" }).tokenizer.vocabSize);
  assert.deepEqual(Object.keys(manifest.domains).sort(), ["books", "code", "dialogue", "web"]);
  assert.ok(lines.length >= 2, lines.map((l) => l.text).join("\n"));
  assert.match(lines[0].text, /^preparing the default dataset: \d+% \(load\)/);
  assert.equal(lines.at(-1)!.text.startsWith(`prepared ${manifest.id}`), true, lines.at(-1)!.text);
  for (let i = 1; i < lines.length - 1; i++) assert.ok(lines[i].at - lines[i - 1].at >= 1000, "at most one progress line a second");

  const again: string[] = [];
  assert.equal((await resolveDataset("default", dataDir, (t) => void again.push(t))).id, manifest.id);
  assert.deepEqual(again, [`dataset ${manifest.id} is already prepared`]);
});
