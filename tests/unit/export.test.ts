import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { datasetsRoot } from "../../formats/dataset";
import { ExportResult } from "../../lib/generation";
import { RunConfig } from "../../lib/run-config";
import { BpeTokenizer } from "../../lib/tokenizer/bpe";
import { loadCheckpoint } from "../../trainer/checkpoint/checkpoint";
import { exportCheckpoint } from "../../trainer/checkpoint/export";
import { train, type TrainHooks } from "../../trainer/loop/train";
import { writeTextDataset } from "../helpers/text-dataset";

const repo = path.resolve(import.meta.dirname, "../..");
const root = fs.mkdtempSync(path.join(os.tmpdir(), "export-test-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const dataDir = path.join(root, "data");
const { manifest, tokenizer } = writeTextDataset(dataDir);
const runDir = path.join(dataDir, "runs", "r1");
const config = RunConfig.parse({
  name: "export", nLayer: 1, nHead: 2, dModel: 16, contextLength: 16, batchSize: 2, steps: 3, warmupSteps: 1,
  evalInterval: 100, evalBatches: 1, checkpointInterval: 100, dataset: manifest.id, backend: "wasm",
});
const hooks: TrainHooks = { onStart() {}, onMetrics() {}, onCheckpoint() {}, onLog() {}, shouldStop: () => false };
await train(config, { runDir, dataDir }, hooks);
const stepDir = path.join(runDir, "checkpoints", "step-000003");
const checkpointFile = path.join(stepDir, "checkpoint.safetensors");

function exportCli(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", path.join(repo, "trainer", "cli", "export.ts"), ...args], { cwd: repo, encoding: "utf8" });
}

test("export writes the weights alone, byte for byte, with config.json and the tokenizer", () => {
  const result = exportCheckpoint({ checkpoint: stepDir });
  const out = path.join(stepDir, "export");
  assert.equal(result.outDir, out);
  assert.equal(result.step, 3);
  assert.deepEqual(fs.readdirSync(out).sort(), ["config.json", "model.safetensors", "tokenizer.json"]);
  assert.deepEqual(fs.readdirSync(stepDir).sort(), ["checkpoint.safetensors", "checkpoint.sha256", "export"], "no temporary directory left");
  for (const f of result.files) assert.equal(fs.statSync(path.join(out, f.name)).size, f.bytes, f.name);

  // The safetensors format, read by hand: u64 LE header size, JSON header, contiguous F32 data.
  const file = fs.readFileSync(path.join(out, "model.safetensors"));
  const n = Number(file.readBigUInt64LE(0));
  assert.equal((8 + n) % 8, 0, "tensor data starts 8-byte aligned");
  const header = JSON.parse(file.subarray(8, 8 + n).toString("utf8"));
  assert.equal(header.__metadata__.format, "pt");
  const data = file.subarray(8 + n);
  const source = loadCheckpoint(checkpointFile).tensors;
  const params = [...source.keys()].filter((k) => !k.startsWith("optim.")).sort();
  assert.ok([...source.keys()].some((k) => k.startsWith("optim.")), "the checkpoint does hold optimizer state");
  assert.ok(params.includes("wte") && params.includes("h.0.attn.c_attn.w") && params.includes("ln_f.g"));
  assert.deepEqual(Object.keys(header).filter((k) => k !== "__metadata__").sort(), params, "weights only, same names");
  let offset = 0;
  for (const name of params) {
    const { dtype, shape, data_offsets } = header[name];
    const t = source.get(name)!;
    assert.equal(dtype, "F32");
    assert.deepEqual(shape, t.shape, name);
    assert.deepEqual(data_offsets, [offset, offset + t.data.length * 4], `${name} is stored in name order, contiguous`);
    const bytes = data.subarray(data_offsets[0], data_offsets[1]);
    assert.equal(Buffer.compare(bytes, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), 0, `${name} bytes`);
    offset = data_offsets[1];
  }
  assert.equal(offset, data.length, "no bytes after the last tensor");
  assert.deepEqual(header.wte.shape, [tokenizer.vocabSize, 16]);
  assert.deepEqual(header["h.0.mlp.c_fc.w"].shape, [16, 64], "[in, out]");

  const cfg = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
  assert.equal(cfg.architecture, "gpt2");
  assert.equal(cfg.n_layer, 1);
  assert.equal(cfg.n_head, 2);
  assert.equal(cfg.d_model, 16);
  assert.equal(cfg.context_length, 16);
  assert.equal(cfg.vocab_size, tokenizer.vocabSize);
  assert.equal(cfg.tie_word_embeddings, true);
  assert.equal(cfg.eot_token_id, tokenizer.eotId);
  assert.equal(cfg.step, 3);
  assert.equal(cfg.dataset_id, manifest.id);
  assert.match(cfg.layout.weights, /\[in, out\]/);
  assert.match(cfg.layout.pytorch, /\[out, in\].*W\.T/);
  assert.deepEqual(cfg.run_config, config);

  const tokJson = fs.readFileSync(path.join(out, "tokenizer.json"));
  assert.equal(Buffer.compare(tokJson, fs.readFileSync(path.join(datasetsRoot(dataDir), manifest.id, "tokenizer.json"))), 0);
  assert.equal(BpeTokenizer.fromJSON(tokJson.toString()).decode(tokenizer.encode("sea shells")), "sea shells");
});

test("export replaces an earlier export, but never another directory", () => {
  const out = path.join(root, "custom-out");
  const first = exportCheckpoint({ checkpoint: checkpointFile, outDir: out });
  fs.writeFileSync(path.join(out, "stale.txt"), "left from before");
  const second = exportCheckpoint({ checkpoint: checkpointFile, outDir: out });
  assert.deepEqual(second, first);
  assert.ok(!fs.existsSync(path.join(out, "stale.txt")), "the whole directory was swapped");
  assert.deepEqual(fs.readdirSync(root).filter((f) => f.startsWith(".tmp")), []);

  const precious = path.join(root, "precious");
  fs.mkdirSync(precious);
  fs.writeFileSync(path.join(precious, "notes.txt"), "mine");
  assert.throws(() => exportCheckpoint({ checkpoint: checkpointFile, outDir: precious }), /refusing to replace .*precious: it exists and is not an earlier export/);
  assert.deepEqual(fs.readdirSync(precious), ["notes.txt"]);
});

test("a dataset that is not there: the export has no tokenizer and says so in config.json", () => {
  const out = path.join(root, "no-tokenizer");
  const result = exportCheckpoint({ checkpoint: checkpointFile, outDir: out, dataDir: path.join(root, "empty-data") });
  assert.deepEqual(result.files.map((f) => f.name), ["model.safetensors", "config.json"]);
  const cfg = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
  assert.equal(cfg.tokenizer, null);
  assert.equal(cfg.eot_token_id, null);
});

test("bad paths and damaged checkpoints give clear errors, and write nothing", () => {
  const missing = path.join(root, "nowhere", "checkpoint.safetensors");
  assert.throws(() => exportCheckpoint({ checkpoint: missing }), { message: `no checkpoint at ${missing}: the path does not exist` });
  assert.throws(() => exportCheckpoint({ checkpoint: root }), /no checkpoint at .*: expected checkpoint\.safetensors or a checkpoints\/step-NNNNNN directory/);

  const damagedDir = path.join(root, "damaged", "checkpoints", "step-000003");
  fs.mkdirSync(damagedDir, { recursive: true });
  for (const f of ["checkpoint.safetensors", "checkpoint.sha256"]) fs.copyFileSync(path.join(stepDir, f), path.join(damagedDir, f));
  const bytes = fs.readFileSync(path.join(damagedDir, "checkpoint.safetensors"));
  bytes[bytes.length - 1] ^= 0xff;
  fs.writeFileSync(path.join(damagedDir, "checkpoint.safetensors"), bytes);
  assert.throws(() => exportCheckpoint({ checkpoint: damagedDir }), /cannot read checkpoint .*: sha256 mismatch/);
  assert.ok(!fs.existsSync(path.join(damagedDir, "export")));
});

test("the CLI prints JSON with --json, and a bad path exits 1 with the reason", () => {
  const out = path.join(root, "cli-out");
  const ok = exportCli("--checkpoint", checkpointFile, "--out", out, "--json");
  assert.equal(ok.status, 0, ok.stderr);
  const result = ExportResult.parse(JSON.parse(ok.stdout.trim().split("\n").pop()!));
  assert.equal(result.outDir, out);
  assert.ok(result.files.some((f) => f.name === "tokenizer.json"), "the data directory is found from the checkpoint's path");

  const bad = exportCli("--checkpoint", path.join(root, "nope"));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^error: no checkpoint at .*nope: the path does not exist$/m);
  const none = exportCli();
  assert.equal(none.status, 2);
  assert.match(none.stderr, /error: --checkpoint <checkpoint\.safetensors or its step directory> is required/);
});
