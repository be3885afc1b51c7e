// The rebuilt batch of a step equals, token for token, the batch the trainer trained on at that
// step: across a stop and resume, with a batch-size ramp and micro-batches (clm), and with the
// mlm objective, whose masks draw from the same rng as the sampler.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { listCheckpoints } from "../../formats/checkpoint";
import { readManifest } from "../../formats/dataset";
import { RebuiltBatch } from "../../lib/forensics";
import { RunConfig, type RunConfigInput } from "../../lib/run-config";
import { loadCheckpoint } from "../../trainer/checkpoint/checkpoint";
import { excludeData } from "../../trainer/data/exclude-stream";
import { loadDomains } from "../../trainer/data/load";
import { type Batch, MixtureSampler } from "../../trainer/data/mixture";
import { windowPieces } from "../../trainer/forensics/documents";
import { rebuildBatch } from "../../trainer/forensics/rebuild";
import { type TrainHooks, train } from "../../trainer/loop/train";
import { writeTokenDataset } from "../helpers/token-dataset";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "forensics-rebuild-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const dataDir = path.join(root, "data");
const dataset = writeTokenDataset(dataDir, {
  vocabSize: 64,
  domains: [
    { name: "web", weight: 0.6, trainTokens: 6_000, valTokens: 500 },
    { name: "code", weight: 0.4, trainTokens: 3_000, valTokens: 500 },
  ],
});
const manifest = readManifest(dataDir, dataset.id)!;

/** Every batch the sampler hands out while `capture` is on: the trainer's, one per step when nothing rolls back. */
const captured: Batch[] = [];
const checkpoints = (runDir: string) => listCheckpoints(runDir).sort((a, b) => a.step - b.step);
let capture = false;
const nextBatch = MixtureSampler.prototype.nextBatch;
MixtureSampler.prototype.nextBatch = function (this: MixtureSampler, ...args: Parameters<typeof nextBatch>) {
  const b = nextBatch.apply(this, args);
  if (capture) captured.push({ x: Int32Array.from(b.x), y: Int32Array.from(b.y) });
  return b;
};

const config = (over: Partial<RunConfigInput>) =>
  RunConfig.parse({
    name: "r", evals: [], nLayer: 1, nHead: 2, dModel: 16, contextLength: 16, batchSize: 8, steps: 30, warmupSteps: 2,
    evalInterval: 1000, evalBatches: 1, checkpointInterval: 10, dataset: dataset.id, backend: "wasm", ...over,
  });

async function trainCapturing(runDir: string, c: RunConfig, stopAfter?: number) {
  let steps = 0;
  const hooks: TrainHooks = {
    onStart: () => {}, onCheckpoint: () => {}, onLog: () => {}, shouldStop: () => stopAfter !== undefined && ++steps >= stopAfter,
    onMetrics: () => {},
  };
  capture = true;
  try {
    return await train(c, { runDir, dataDir }, hooks);
  } finally {
    capture = false;
  }
}

function rebuildAt(runDir: string, step: number) {
  const ckpt = checkpoints(runDir).filter((c) => c.step <= step).at(-1)!;
  const state = loadCheckpoint(ckpt.file);
  const original = loadDomains(manifest, dataDir, state.config.mixWeights);
  const domains = excludeData(original, state.config.exclude, Object.keys(manifest.domains));
  return { ckptStep: state.step, domains, original, ...rebuildBatch(state.config, domains, state, step, { vocabSize: 64, maskId: 63 }) };
}

for (const [label, over] of [
  ["clm with a batch ramp and micro-batches", { batchRampStart: 2, batchRampTokens: 2000, microBatchSize: 2 }],
  ["mlm", { objective: "mlm" as const }],
] as const) {
  test(`a rebuilt batch is the trained batch, token for token, across a resume (${label})`, async () => {
    const runDir = path.join(dataDir, "runs", label.split(" ")[0]);
    captured.length = 0;
    const c = config(over);
    const first = await trainCapturing(runDir, c, 15);
    assert.deepEqual(first, { status: "stopped", step: 15 });
    await trainCapturing(runDir, c);
    assert.equal(captured.length, 30, "one batch per step");
    assert.deepEqual(checkpoints(runDir).map((x) => x.step), [10, 15, 20, 30]);
    for (const step of [10, 13, 14, 15, 17, 22, 29]) {
      const r = rebuildAt(runDir, step);
      assert.equal(r.rows, captured[step].x.length / 16, `rows at step ${step}`);
      assert.deepEqual(r.batch.x, captured[step].x, `x at step ${step} from the checkpoint at ${r.ckptStep}`);
      assert.deepEqual(r.batch.y, captured[step].y, `y at step ${step}`);
      // Each row's pieces hold exactly the window's tokens, at their place in the stream as prepared.
      for (let row = 0; row < r.rows; row++) {
        const { domain, start } = r.sources[row];
        const d = r.domains.find((x) => x.name === domain)!;
        const full = r.original.find((x) => x.name === domain)!.train;
        const pieces = windowPieces(d.train, d.origin ?? null, full, start, 16, 63);
        const window = [...captured[step].x.subarray(row * 16, row * 16 + 16), captured[step].y[row * 16 + 15]];
        assert.deepEqual(pieces.flatMap((p) => p.ids), window);
        for (const p of pieces) {
          assert.deepEqual([...full.subarray(p.offset, p.offset + p.ids.length)], p.ids);
          assert.ok(p.docStart === 0 || full[p.docStart - 1] === 63, "a document starts after an end-of-text");
          assert.ok(p.docStart <= p.offset && p.offset + p.ids.length <= p.docStart + p.docLength!);
          assert.equal(full[p.docStart + p.docLength! - 1], 63, "a document ends with its end-of-text");
        }
      }
    }
    // The ramp really changed the batch size, so the replay had to follow it.
    if ("batchRampStart" in over) assert.notEqual(captured[0].x.length, captured[29].x.length);
  });
}

test("a step before the checkpoint is refused", () => {
  const runDir = path.join(dataDir, "runs", "clm");
  const state = loadCheckpoint(checkpoints(runDir).at(-1)!.file);
  assert.throws(() => rebuildBatch(state.config, loadDomains(manifest, dataDir), state, 3, { vocabSize: 64, maskId: 63 }), /step 3 is before the checkpoint at step 30/);
});

test("npm run forensics prints the rebuilt batch (--json) with each row's documents and loss; bad flags exit 2", () => {
  const runDir = path.join(dataDir, "runs", "clm");
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", path.resolve(import.meta.dirname, "../../trainer/cli/forensics.ts"), ...args], { encoding: "utf8" });
  const step20 = checkpoints(runDir).find((c) => c.step === 20)!.file;
  const ok = cli("--checkpoint", path.dirname(step20), "--step", "22", "--data-dir", dataDir, "--json");
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stderr, /^progress 1\.000 done$/m);
  const out = RebuiltBatch.parse(JSON.parse(ok.stdout.trim().split("\n").pop()!));
  const expected = rebuildAt(runDir, 22);
  assert.equal(out.checkpointStep, 20);
  assert.deepEqual(out.rows.map((r) => r.domain), expected.sources.map((s) => s.domain));
  assert.ok(out.rows.every((r) => r.loss !== null && r.loss > 0 && r.loss < 10));
  assert.equal(out.decoded, false);
  assert.match(out.decodeNote!, /text shown as token ids/);
  assert.equal(out.rows[0].pieces.flatMap((p) => p.text.split(" ")).map(Number).length, 17);
  const before = cli("--checkpoint", path.dirname(step20), "--step", "12", "--data-dir", dataDir);
  assert.equal(before.status, 2);
  assert.match(before.stderr, /error: step 12 is before the checkpoint's step 20/);
  const bad = cli("--checkpoint", path.dirname(step20), "--step", "x");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /error: --step must be a number/);
});
