// Where benchmarks should run on this machine (2 cores, wasm single-threaded), printed, not asserted:
//   1. the default run config (evalInterval 50, 64 examples, synthetic lambada + hellaswag) with
//      benchmarks in the trainer at the default budget and with no budget cap: share of training time;
//   2. the same training while a worker thread scores the saved checkpoint round after round on the
//      other core: training slowdown, the worker's start-up and its round time.
// `node --import tsx bench/eval-placement.ts [steps=150]`
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { readManifest } from "../formats/dataset";
import { DEFAULT_EVALS } from "../lib/eval/contracts";
import { RunConfig, type RunConfigInput } from "../lib/run-config";
import { prepareBrown } from "../tests/helpers/brown-dataset";
import { selectBackend } from "../trainer/backend/backend";
import { prepareRunEvals } from "../trainer/eval/mid-training";
import { checkpointModel, readCheckpoint } from "../trainer/inference/generate";
import { train, type TrainHooks } from "../trainer/loop/train";

if (!isMainThread) {
  await selectBackend("wasm");
  const { state } = readCheckpoint(workerData.checkpoint);
  // The checkpoint comes from a run without benchmarks; score the default ones.
  const config = { ...state.config, evals: DEFAULT_EVALS };
  const suite = (await prepareRunEvals(config, readManifest(workerData.dataDir, state.datasetId)!, workerData.dataDir, () => {}))!;
  const { params, cfg } = checkpointModel(state);
  parentPort!.postMessage("ready");
  for (;;) parentPort!.postMessage({ roundMs: (await suite.run(params, cfg, state.step)).ms });
}

const steps = Number(process.argv[2] ?? 150);
const root = fs.mkdtempSync(path.join(os.tmpdir(), "eval-placement-"));
const dataDir = path.join(root, "data");
const manifest = await prepareBrown(dataDir, 2048, 40);

async function run(name: string, over: Partial<RunConfigInput>) {
  const config = RunConfig.parse({ name, dataset: manifest.id, backend: "wasm", steps, checkpointInterval: 50, ...over });
  const rounds: number[] = [];
  const stepMs: number[] = [];
  let skipped = 0;
  let last = performance.now();
  const hooks: TrainHooks = {
    onStart() {}, onCheckpoint() {}, shouldStop: () => false,
    onMetrics(ps) {
      if (!ps.some((p) => p.key === "loss")) return;
      const now = performance.now();
      stepMs.push(now - last);
      last = now;
    },
    onLog(m) {
      const t = /^benchmarks at step \d+ in ([\d.]+) s/.exec(m);
      if (t) rounds.push(Number(t[1]) * 1000);
      if (m.startsWith("benchmarks skipped")) skipped++;
    },
  };
  const t0 = performance.now();
  await train(config, { runDir: path.join(root, name), dataDir }, hooks);
  const total = performance.now() - t0;
  const evalMs = rounds.reduce((a, b) => a + b, 0);
  const median = [...stepMs].sort((a, b) => a - b)[Math.floor(stepMs.length / 2)];
  return { total, evalMs, rounds, skipped, median };
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const base = await run("none", { evals: [] });
console.log(`no benchmarks: ${steps} steps in ${fmt(base.total)}, median step ${base.median.toFixed(0)} ms`);
for (const [label, budget] of [["default budget 0.1", 0.1], ["budget 0.9 (no cap in practice)", 0.9]] as const) {
  const r = await run(`budget-${budget}`, { evalBudget: budget });
  console.log(
    `in-trainer, ${label}: rounds ${r.rounds.map(fmt).join(", ")}, ${r.skipped} skipped; ` +
      `evaluation ${fmt(r.evalMs)} = ${((100 * r.evalMs) / (r.total - r.evalMs)).toFixed(1)}% of training time; ` +
      `a full round (the first) = ${(r.rounds[0] / base.median).toFixed(1)} training steps (${((100 * r.rounds[0]) / (50 * base.median)).toFixed(1)}% of 50 steps)`,
  );
}

// A worker thread on the other core, scoring the checkpoint round after round.
const checkpoint = path.join(root, "none", "checkpoints", `step-${String(steps).padStart(6, "0")}`);
// Node 20 does not carry --import tsx into workers: the worker registers it, then loads this file.
const api = pathToFileURL(path.resolve(import.meta.dirname, "../node_modules/tsx/dist/esm/api/index.mjs")).href;
const boot = `const { tsImport } = await import(${JSON.stringify(api)}); await tsImport(${JSON.stringify(import.meta.url)}, ${JSON.stringify(import.meta.url)});`;
const started = performance.now();
const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: { checkpoint, dataDir } });
await new Promise((r) => worker.once("message", r));
const startMs = performance.now() - started;
const rounds: number[] = [];
worker.on("message", (m: { roundMs: number }) => rounds.push(m.roundMs));
const overlapped = await run("overlapped", { evals: [] });
await worker.terminate();
console.log(
  `worker thread: ${fmt(startMs)} to start (modules, wasm, checkpoint, tokenizer, sets), then ${rounds.length} full rounds ` +
    `of ${fmt(rounds.slice(1).sort((a, b) => a - b)[Math.floor((rounds.length - 1) / 2)] ?? NaN)} (median) beside training; ` +
    `training meanwhile: median step ${overlapped.median.toFixed(0)} ms, ${((100 * overlapped.median) / base.median - 100).toFixed(1)}% slower than alone`,
);
fs.rmSync(root, { recursive: true, force: true });
