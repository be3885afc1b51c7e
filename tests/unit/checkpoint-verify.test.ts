import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { SHA256_FILE } from "../../formats/checkpoint";
import { type HostTensor } from "../../formats/safetensors";
import { Rng } from "../../lib/rng";
import { RunConfig } from "../../lib/run-config";
import { findLatest, saveCheckpoint, type TrainState } from "../../trainer/checkpoint/checkpoint";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "ckpt-verify-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const config = RunConfig.parse({ name: "ckpt-verify" });
const rng = new Rng(2);
const rand = (n: number): HostTensor => ({ shape: [n], data: Float32Array.from({ length: n }, () => rng.normal()) });
const state = (step: number): TrainState => ({
  step, config, tensors: new Map([["wte", rand(64)]]), optimizerT: step, tokensSeen: step * 8, scheduleState: null,
  rngState: rng.getState(), dataState: {}, datasetId: "ds-0123456789abcdef", vocabSize: 64,
});

/** Flips tensor bytes (the file still parses) and removes the sidecar: only a recorded sha256 can tell. */
function corruptSilently(file: string) {
  const buf = fs.readFileSync(file);
  buf[buf.length - 4] = (buf[buf.length - 4] + 1) & 0xff;
  fs.writeFileSync(file, buf);
  fs.rmSync(path.join(path.dirname(file), SHA256_FILE));
}

test("with the sidecar gone, a corrupt checkpoint still fails against the recorded sha256 and the older one is used", () => {
  const runDir = fs.mkdtempSync(path.join(root, "run-"));
  const older = saveCheckpoint(runDir, state(10));
  const newer = saveCheckpoint(runDir, state(20));
  corruptSilently(newer.path);
  assert.equal(findLatest(runDir).state?.step, 20, "without the records the damage goes unseen");
  const recorded = new Map([[10, older.sha256], [20, newer.sha256]]);
  const found = findLatest(runDir, { recorded });
  assert.equal(found.state?.step, 10);
  assert.deepEqual(found.skipped.map((s) => s.step), [20]);
  assert.match(found.skipped[0].reason, /recorded by the server/);
});

test("a recorded checkpoint whose file is gone, and an unrecorded one without a sidecar, do not verify", () => {
  const runDir = fs.mkdtempSync(path.join(root, "run-"));
  const a = saveCheckpoint(runDir, state(10));
  const b = saveCheckpoint(runDir, state(20));
  fs.rmSync(path.join(path.dirname(b.path), SHA256_FILE));
  const recorded = new Map([[10, a.sha256], [30, "f".repeat(64)]]);
  const found = findLatest(runDir, { recorded });
  assert.equal(found.state?.step, 10);
  assert.deepEqual(found.skipped.map((s) => [s.step, s.reason]), [[30, "its file is missing"], [20, `no recorded sha256 and no ${SHA256_FILE} to verify it against`]]);
  fs.rmSync(a.path);
  const none = findLatest(runDir, { recorded });
  assert.equal(none.state, null);
  assert.deepEqual(none.skipped.map((s) => s.step), [30, 20, 10]);
});
