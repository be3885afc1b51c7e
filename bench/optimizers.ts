// Optimizers compared on the trainer itself (wasm), printed, not asserted:
//   1. tokens/s of the default run config with each optimizer (same data, steps 5+ of a short run);
//   2. the loss after a fixed token budget (default model, same data and seed) for AdamW, Lion at
//      3× and 10× smaller lr with 3× and 10× larger weight decay, and Adafactor with the schedule's
//      lr or its own relative step.
// Usage: node --import tsx bench/optimizers.ts [steps, default 400; 0 skips part 2]
// Throughput on a shared 2-core machine is noisy: the rounds are interleaved, and the optimizer step is
// also timed on its own (random gradients for the default model's parameters).
// The data is a small real mixture prepared by the dataset pipeline (BPE 2048, the default vocabulary),
// cached under the system temp directory so that a second run skips preparing it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { DatasetSpec } from "../lib/dataset-spec";
import type { MetricPoint } from "../lib/protocol";
import { Rng } from "../lib/rng";
import { RunConfig, type RunConfigInput } from "../lib/run-config";
import { train } from "../trainer/loop/train";
import { createParams, disposeParams } from "../trainer/model/model";
import { createOptimizer } from "../trainer/optimizers";
import { prepareDataset } from "../trainer/pipeline/prepare";

const steps = Number(process.argv[2] ?? 400);
const THROUGHPUT_STEPS = 25;
const ROUNDS = 4;

const dataDir = path.join(os.tmpdir(), "bench-optimizers-data");
const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-optimizers-runs-"));
process.on("exit", () => fs.rmSync(runsDir, { recursive: true, force: true }));

const spec = DatasetSpec.parse({
  name: "bench mixture",
  sources: [
    { domain: "web", kind: "spam-assassin", weight: 45, maxDocuments: 400 },
    { domain: "books", kind: "brown", weight: 30, maxDocuments: 120 },
    { domain: "dialogue", kind: "nlp-corpus", weight: 12, maxDocuments: 4000 },
    { domain: "code", kind: "node-modules-code", weight: 13, maxDocuments: 120 },
  ],
  tokenizer: { vocabSize: 2048, trainBytes: 600_000 },
});

let runs = 0;
async function run(over: Partial<RunConfigInput>, stopAfter = Infinity) {
  const config = RunConfig.parse({ name: "bench", backend: "wasm", dataset: manifest.id, checkpointInterval: 1_000_000, ...over });
  const metrics: MetricPoint[] = [];
  let iterations = 0;
  await train(config, { runDir: path.join(runsDir, String(runs++)), dataDir }, {
    onStart: () => {}, onMetrics: (ps) => void metrics.push(...ps), onCheckpoint: () => {}, onLog: () => {},
    shouldStop: () => ++iterations >= stopAfter,
  });
  const series = (key: string) => metrics.filter((m) => m.key === key).map((m) => m.value as number);
  return { config, series };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const table = (rows: string[][]) => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
};

const t0 = Date.now();
const manifest = await prepareDataset(spec, { dataDir });
const trainTokens = Object.values(manifest.domains).reduce((n, d) => n + d.trainTokens, 0);
console.log(`dataset ${manifest.id}: vocabulary ${manifest.tokenizer.vocabSize}, ${trainTokens.toLocaleString("en-US")} train tokens (${((Date.now() - t0) / 1000).toFixed(0)} s to prepare or load)`);

const defaults = RunConfig.parse({ name: "x" });
console.log(
  `\n1. tokens/s, default config (${defaults.nLayer} layers, width ${defaults.dModel}, context ${defaults.contextLength}, batch ${defaults.batchSize}), ` +
    `median of steps 5–${THROUGHPUT_STEPS - 1} over ${ROUNDS} interleaved rounds, wasm on ${os.cpus().length} cores; optimizer step alone in ms`,
);
const optimizers = ["adamw", "lion", "adafactor"] as const;
const tps = new Map<string, number[]>(optimizers.map((o) => [o, []]));
for (let round = 0; round < ROUNDS; round++)
  for (const optimizer of optimizers) {
    const { series } = await run({ optimizer, evalInterval: 1_000_000 }, THROUGHPUT_STEPS);
    tps.get(optimizer)!.push(...series("tokens_per_sec").slice(5));
  }

/** Mean ms of one applyGradients on the default model's parameters, after a warm-up. */
function stepMs(optimizer: (typeof optimizers)[number]): number {
  const params = createParams({ ...defaults, vocabSize: manifest.tokenizer.vocabSize }, new Rng(1));
  const grads = tf.tidy(() => Object.fromEntries([...params.values()].map((p) => [p.name, tf.randomNormal(p.shape, 0, 1e-2)])));
  const opt = createOptimizer({ ...defaults, optimizer }, params);
  opt.learningRate = 1e-3;
  const time = (n: number) => {
    const t = performance.now();
    for (let i = 0; i < n; i++) opt.applyGradients(grads);
    params.get("wte")!.dataSync();
    return (performance.now() - t) / n;
  };
  time(5);
  const ms = time(50);
  opt.dispose();
  tf.dispose(grads);
  disposeParams(params);
  return ms;
}
const ms = new Map(optimizers.map((o) => [o, stepMs(o)]));
const base = median(tps.get("adamw")!);
table([
  ["optimizer", "tokens/s", "vs adamw", "step ms"],
  ...optimizers.map((o) => [o, median(tps.get(o)!).toFixed(0), (median(tps.get(o)!) / base).toFixed(3), ms.get(o)!.toFixed(2)]),
]);
if (steps === 0) process.exit(0);

const variants: [string, Partial<RunConfigInput>][] = [
  ["adamw (defaults)", { optimizer: "adamw" }],
  ["lion lr/3 wd×3", { optimizer: "lion", lr: 1e-3, minLr: 1e-4, weightDecay: 0.3 }],
  ["lion lr/10 wd×10", { optimizer: "lion", lr: 3e-4, minLr: 3e-5, weightDecay: 1 }],
  ["adafactor (schedule lr)", { optimizer: "adafactor" }],
  ["adafactor (relative step)", { optimizer: "adafactor", adafactorRelativeStep: true }],
];
const tokens = steps * defaults.batchSize * defaults.contextLength;
console.log(`\n2. loss after ${steps} steps (${tokens.toLocaleString("en-US")} tokens), default model, cosine schedule, seed ${defaults.seed}; ln V = ${Math.log(manifest.tokenizer.vocabSize).toFixed(3)}`);
const rows = [["variant", "lr", "wd", "train loss (last 10%)", "val loss (end)", "val ppl", "tokens/s", "seconds"]];
for (const [label, over] of variants) {
  const start = Date.now();
  const { config, series } = await run({ ...over, steps, evalInterval: Math.max(1, Math.floor(steps / 4)), evalBatches: 8 });
  const loss = series("loss");
  const val = series("val_loss").at(-1)!;
  rows.push([
    label, config.adafactorRelativeStep ? "ρ_t" : String(config.lr), String(config.weightDecay),
    mean(loss.slice(-Math.max(1, Math.floor(steps / 10)))).toFixed(4), val.toFixed(4), Math.exp(val).toFixed(1),
    median(series("tokens_per_sec")).toFixed(0), ((Date.now() - start) / 1000).toFixed(0),
  ]);
  console.log(`  ${label}: val loss ${series("val_loss").map((v) => v.toFixed(3)).join(" → ")}`);
}
table(rows);
