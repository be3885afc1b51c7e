import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { listCheckpoints } from "../../formats/checkpoint";
import { encodeSafetensors, type HostTensor } from "../../formats/safetensors";
import { Rng } from "../../lib/rng";
import { RunConfig } from "../../lib/run-config";
import { loadLatest, saveCheckpoint, type TrainState } from "../../trainer/checkpoint/checkpoint";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "ckpt-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const config = RunConfig.parse({ name: "ckpt-test" });
const rng = new Rng(1);
const rand = (shape: number[]): HostTensor => ({
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
});
const state = (step: number): TrainState => ({
  step,
  config,
  tensors: new Map([["wte", rand([4, 3])], ["ln_f.b", rand([3])], ["optim.m.wte", rand([4, 3])], ["optim.v.wte", rand([4, 3])]]),
  optimizerT: step,
  tokensSeen: step * 512,
  scheduleState: { best: 3.25, bad: 1, cuts: 2, lastEval: step, lastCut: null },
  rngState: rng.getState(),
  dataState: { cursors: { web: step * 17, books: 3 }, drawn: { web: step, books: 1 } },
  datasetId: "ds-0123456789abcdef",
  vocabSize: 2048,
});

test("save writes real safetensors and load round-trips it exactly", () => {
  const runDir = fs.mkdtempSync(path.join(root, "run-"));
  const s = state(12);
  const saved = saveCheckpoint(runDir, s);
  assert.equal(saved.step, 12);
  assert.equal(saved.path, path.join(runDir, "checkpoints", "step-000012", "checkpoint.safetensors"));
  const file = fs.readFileSync(saved.path);
  assert.equal(saved.bytes, file.length);
  assert.equal(saved.sha256, crypto.createHash("sha256").update(file).digest("hex"));
  assert.ok(fs.readFileSync(path.join(path.dirname(saved.path), "checkpoint.sha256"), "utf8").startsWith(saved.sha256));

  // The format, read by hand: u64 LE header size, JSON header, contiguous F32 data.
  const n = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + n).toString());
  assert.equal((8 + n) % 8, 0);
  assert.deepEqual(header["ln_f.b"], { dtype: "F32", shape: [3], data_offsets: [0, 12] });
  assert.equal(header.__metadata__.step, "12");
  assert.equal(JSON.parse(header.__metadata__.config).name, "ckpt-test");
  const first = new Float32Array(file.buffer.slice(file.byteOffset + 8 + n, file.byteOffset + 8 + n + 12));
  assert.deepEqual(Array.from(first), Array.from(s.tensors.get("ln_f.b")!.data));

  const loaded = loadLatest(runDir)!;
  assert.equal(loaded.step, 12);
  assert.equal(loaded.optimizerT, 12);
  assert.deepEqual(loaded.dataState, { cursors: { web: 204, books: 3 }, drawn: { web: 12, books: 1 } });
  assert.equal(loaded.datasetId, "ds-0123456789abcdef");
  assert.equal(loaded.vocabSize, 2048);
  assert.equal(header.__metadata__.format_version, "3");
  assert.equal(loaded.tokensSeen, 12 * 512);
  assert.deepEqual(loaded.scheduleState, s.scheduleState);
  assert.deepEqual(loaded.rngState, s.rngState);
  assert.deepEqual(loaded.config, config);
  assert.deepEqual([...loaded.tensors.keys()].sort(), [...s.tensors.keys()].sort());
  for (const [name, t] of s.tensors) {
    assert.deepEqual(loaded.tensors.get(name)!.shape, t.shape);
    assert.deepEqual(Array.from(loaded.tensors.get(name)!.data), Array.from(t.data));
  }
  assert.deepEqual(fs.readdirSync(path.join(runDir, "checkpoints")), ["step-000012"], "no temporary directories left");
});

test("loadLatest skips corrupt checkpoints and says why", () => {
  const runDir = fs.mkdtempSync(path.join(root, "run-"));
  saveCheckpoint(runDir, state(100));
  const mid = saveCheckpoint(runDir, state(200));
  const newest = saveCheckpoint(runDir, state(300));
  assert.deepEqual(listCheckpoints(runDir).map((c) => c.step), [300, 200, 100]);

  // One flipped data byte: still parses, caught by the sha256 sidecar.
  const f = fs.readFileSync(newest.path);
  f[f.length - 1] ^= 0xff;
  fs.writeFileSync(newest.path, f);
  // A truncated file with no sidecar: caught by the parser.
  fs.writeFileSync(mid.path, fs.readFileSync(mid.path).subarray(0, 100));
  fs.rmSync(path.join(path.dirname(mid.path), "checkpoint.sha256"));

  const logs: string[] = [];
  const loaded = loadLatest(runDir, (m) => logs.push(m))!;
  assert.equal(loaded.step, 100);
  assert.equal(logs.length, 2);
  assert.match(logs[0], /step 300.*sha256 mismatch/);
  assert.match(logs[1], /step 200/);
});

test("no checkpoints: null; re-saving a step replaces it", () => {
  const runDir = fs.mkdtempSync(path.join(root, "run-"));
  assert.equal(loadLatest(runDir), null);
  saveCheckpoint(runDir, state(5));
  const second = state(5);
  const saved = saveCheckpoint(runDir, second);
  assert.deepEqual(Array.from(loadLatest(runDir)!.tensors.get("wte")!.data), Array.from(second.tensors.get("wte")!.data));
  assert.equal(fs.readdirSync(path.join(runDir, "checkpoints")).length, 1);
  assert.ok(fs.existsSync(saved.path));
});

test("a checkpoint of an older format (versions 1 and 2) or without a dataset id is skipped with the reason", () => {
  const runDir = fs.mkdtempSync(path.join(root, "run-"));
  const s = state(3);
  const v1 = encodeSafetensors(s.tensors, {
    format: "pretrain-dashboard/gpt", format_version: "1", step: "3", config: JSON.stringify(config),
    optimizer_t: "3", rng_state: JSON.stringify(s.rngState), data_cursor: "51",
  });
  fs.mkdirSync(path.join(runDir, "checkpoints", "step-000003"), { recursive: true });
  fs.writeFileSync(path.join(runDir, "checkpoints", "step-000003", "checkpoint.safetensors"), v1);
  const noId = encodeSafetensors(s.tensors, {
    format: "pretrain-dashboard/gpt", format_version: "3", step: "4", config: JSON.stringify(config),
    optimizer_t: "4", tokens_seen: "0", schedule_state: "null", rng_state: JSON.stringify(s.rngState), data_state: "{}", vocab_size: "2048",
  });
  fs.mkdirSync(path.join(runDir, "checkpoints", "step-000004"), { recursive: true });
  fs.writeFileSync(path.join(runDir, "checkpoints", "step-000004", "checkpoint.safetensors"), noId);
  // Version 2: complete in its day, but it lacks tokens_seen and schedule_state.
  const v2 = encodeSafetensors(s.tensors, {
    format: "pretrain-dashboard/gpt", format_version: "2", step: "5", config: JSON.stringify(config),
    optimizer_t: "5", rng_state: JSON.stringify(s.rngState), data_state: "{}", dataset_id: "ds-0123456789abcdef", vocab_size: "2048",
  });
  fs.mkdirSync(path.join(runDir, "checkpoints", "step-000005"), { recursive: true });
  fs.writeFileSync(path.join(runDir, "checkpoints", "step-000005", "checkpoint.safetensors"), v2);
  const logs: string[] = [];
  assert.equal(loadLatest(runDir, (m) => logs.push(m)), null);
  assert.match(logs[0], /step 5.*format version 2 is not 3/);
  assert.match(logs[1], /step 4.*dataset_id is missing/);
  assert.match(logs[2], /step 3.*format version 1 is not 3/);
});
