// Exports are rebuildable from config.json alone: tests/python/forward.py, an independent NumPy
// forward pass that reads only config.json for hyperparameters and parses model.safetensors by
// hand, must reproduce the trainer's logits for both architectures. Under CI a missing python3 or
// numpy is a failure; elsewhere the test is skipped with the reason.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { RunConfig } from "../../lib/run-config";
import { selectBackend } from "../../trainer/backend/backend";
import { loadCheckpoint, saveCheckpoint } from "../../trainer/checkpoint/checkpoint";
import { exportCheckpoint } from "../../trainer/checkpoint/export";
import { checkpointModel } from "../../trainer/inference/generate";
import { train, type TrainHooks } from "../../trainer/loop/train";
import { disposeParams, forward } from "../../trainer/model/model";
import { writeTextDataset } from "../helpers/text-dataset";

const script = path.resolve(import.meta.dirname, "../python/forward.py");
const probe = spawnSync("python3", ["-c", "import numpy"], { encoding: "utf8" });
const missing = probe.error ? `python3 is not installed (${probe.error.message})` : probe.status !== 0 ? `numpy is not importable: ${probe.stderr.trim()}` : null;
if (missing && process.env.CI === "true") throw new Error(`the NumPy export test needs python3 with numpy under CI: ${missing}`);

await selectBackend("wasm");
const root = fs.mkdtempSync(path.join(os.tmpdir(), "export-numpy-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const dataDir = path.join(root, "data");
const { manifest, tokenizer } = writeTextDataset(dataDir);
const hooks: TrainHooks = { onStart() {}, onMetrics() {}, onCheckpoint() {}, onLog() {}, shouldStop: () => false };

/** Multiplies every weight so that logits are far from uniform and a wrong detail shows. */
function sharpen(name: string, data: Float32Array): Float32Array {
  const k = name === "wte" ? 30 : name === "wpe" ? 10 : /\.(w|wq|wk|wv|wo|w1|w2|w3)$/.test(name) ? 6 : /\.g$/.test(name) ? 1.5 : 3;
  return data.map((x, i) => x * k + (/\.(g|b)$/.test(name) ? 0.05 * Math.sin(i) : 0));
}

for (const arch of ["gpt2", "llama"] as const) {
  test(`a ${arch} export is rebuilt from config.json by an independent NumPy forward pass, logits within 1e-4`, { skip: missing ?? false }, async () => {
    const runDir = path.join(dataDir, "runs", arch);
    const config = RunConfig.parse({
      name: arch, arch, nLayer: 2, nHead: 2, dModel: 16, contextLength: 16, batchSize: 2, steps: 2, warmupSteps: 1,
      evalInterval: 100, evalBatches: 1, checkpointInterval: 100, evals: [], dataset: manifest.id, backend: "wasm",
    });
    await train(config, { runDir, dataDir }, hooks);
    const trained = loadCheckpoint(path.join(runDir, "checkpoints", "step-000002", "checkpoint.safetensors"));
    const tensors = new Map([...trained.tensors].map(([n, t]) => [n, n.startsWith("optim.") ? t : { shape: t.shape, data: sharpen(n, t.data) }]));
    const saved = saveCheckpoint(runDir, { ...trained, step: 3, tensors });
    const { outDir } = exportCheckpoint({ checkpoint: saved.path });
    const cfg = JSON.parse(fs.readFileSync(path.join(outDir, "config.json"), "utf8"));
    assert.equal(cfg.architecture, arch);
    assert.equal(cfg.norm_eps, 1e-5);
    assert.equal(cfg.bias, arch === "gpt2");
    if (arch === "llama") assert.deepEqual([cfg.rope_theta, cfg.rope_pairing, cfg.position_offset, cfg.mlp], [10000, "rotate_half", 0, "swiglu"]);
    else assert.match(cfg.layout.gelu, /tanh/);

    const ids = [tokenizer.encode("The quick brown fox jumps"), tokenizer.encode("She sells sea shells by the sea shore, and the"), [tokenizer.eotId, 5, 5, 5]];
    assert.ok(ids[1].length >= 12, "one sequence close to the full context");
    const py = spawnSync("python3", [script, outDir], { input: JSON.stringify(ids.map((s) => s.slice(0, 16))), encoding: "utf8", maxBuffer: 64 << 20 });
    assert.equal(py.status, 0, py.stderr);
    const theirs: number[][][] = JSON.parse(py.stdout);

    const { params, cfg: model } = checkpointModel(loadCheckpoint(saved.path));
    let worst = 0;
    let spread = 0;
    ids.forEach((seq, s) => {
      const input = seq.slice(0, 16);
      const logits = tf.tidy(() => forward(params, model, tf.tensor2d(input, [1, input.length], "int32")));
      const ours = logits.arraySync()[0];
      logits.dispose();
      assert.equal(theirs[s].length, input.length);
      ours.forEach((row, t) => {
        spread = Math.max(spread, Math.max(...row) - Math.min(...row));
        row.forEach((x, v) => (worst = Math.max(worst, Math.abs(x - theirs[s][t][v]) / Math.max(1, Math.abs(x)))));
      });
    });
    disposeParams(params);
    assert.ok(spread > 5, `logits spread ${spread}: far from uniform, so a wrong detail would show`);
    assert.ok(worst < 1e-4, `largest relative difference ${worst}`);
  });
}
