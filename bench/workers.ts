// Training tokens/s on 1 worker against N (trainer/loop/parallel), side by side in one invocation, on a
// reference config of bench:train (tiny: 4 layers, width 128, 4 heads, context 128, batch 8, vocab 512).
// `node --import tsx bench/workers.ts [--config tiny|large] [--workers 1,2] [--steps 8] [--warmup 2] [--rounds 3] [--backend wasm]`
// Each round runs every worker count once, in turn, so load from other jobs on the machine falls on
// all of them alike; the medians are over the timed steps of every round. Each run also prints how
// many cores other processes kept busy meanwhile (/proc/stat less this process's CPU time): N
// workers can only gain where N cores are free. Printed, not asserted.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { BACKENDS, RunConfig } from "../lib/run-config";
import { writeTokenDataset } from "../tests/helpers/token-dataset";
import { parseFlags } from "../trainer/cli/flags";
import { train } from "../trainer/loop/train";
import { cpuMark, otherCores } from "./other-cpu";
import { CONFIGS, percentile } from "./train-throughput-report";

const count = (min: number) => z.coerce.number().int().min(min);
const flags = parseFlags(
  { config: { type: "string" }, workers: { type: "string" }, steps: { type: "string" }, warmup: { type: "string" }, rounds: { type: "string" }, backend: { type: "string" } },
  z.object({
    config: z.enum(["tiny", "large"]).default("tiny"),
    workers: z.string().default("1,2").transform((s) => s.split(",").map(Number)).pipe(z.array(z.number().int().min(1)).min(1)),
    steps: count(1).default(8),
    warmup: count(0).default(2),
    rounds: count(1).default(3),
    backend: z.enum(BACKENDS).default("wasm"),
  }),
);

const { nLayer, nHead, dModel, contextLength, batchSize, vocabSize } = CONFIGS[flags.config];
const model = { nLayer, nHead, dModel, contextLength, batchSize };
const tokensPerStep = model.batchSize * model.contextLength;
const root = fs.mkdtempSync(path.join(os.tmpdir(), "bench-workers-"));
const dataDir = path.join(root, "data");
const ds = writeTokenDataset(dataDir, { vocabSize, domains: [{ name: "synthetic", weight: 1, trainTokens: 200_000, valTokens: 1_000 }] });
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");
console.log(`${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? "unknown cpu"}), load average ${load()}`);
console.log(`${flags.config}: ${JSON.stringify(model)}, vocab ${vocabSize}, backend ${flags.backend}; ${flags.rounds} rounds of ${flags.warmup} warm-up + ${flags.steps} timed steps per worker count`);

/** Seconds of each timed step, the pool's start-up in seconds (0 on one worker), and the cores other processes used meanwhile. */
async function once(workers: number, round: number): Promise<{ seconds: number[]; startup: number; others: number | null }> {
  const config = RunConfig.parse({
    name: `workers ${workers}`, ...model, dataset: ds.id, backend: flags.backend, workers, evals: [], steps: flags.warmup + flags.steps, warmupSteps: 0,
    evalInterval: 1_000_000, evalBatches: 1, checkpointInterval: 1_000_000, logInterval: 1, seed: round,
  });
  const seconds: number[] = [];
  let startup = 0;
  const mark = cpuMark();
  await train(config, { runDir: path.join(root, `run-${workers}-${round}`), dataDir }, {
    onStart: () => {},
    onMetrics: (points) => {
      for (const p of points) if (p.key === "tokens_per_sec" && p.step >= flags.warmup) seconds.push(tokensPerStep / (p.value as number));
    },
    onCheckpoint: () => {},
    onLog: (m) => {
      const ready = /ready in ([\d.]+) s/.exec(m);
      if (ready) startup = Number(ready[1]);
    },
    shouldStop: () => false,
  });
  return { seconds, startup, others: otherCores(mark) };
}

const all = new Map<number, number[]>(flags.workers.map((w) => [w, []]));
try {
  for (let round = 1; round <= flags.rounds; round++) {
    for (const w of flags.workers) {
      const { seconds, startup, others } = await once(w, round);
      all.get(w)!.push(...seconds);
      const tps = seconds.map((s) => tokensPerStep / s);
      console.log(
        `round ${round}, ${w} worker${w > 1 ? "s" : ""}: median ${Math.round(percentile(tps, 50))} tok/s (${Math.round(Math.min(...tps))}–${Math.round(Math.max(...tps))})` +
          `${startup ? `, start-up ${startup.toFixed(1)} s` : ""}; other processes used ${others === null ? "unknown" : others.toFixed(2)} cores`,
      );
    }
  }
  const base = tokensPerStep / percentile(all.get(flags.workers[0])!, 50);
  console.log("\nworkers | median tok/s | p25–p75 tok/s | median step s | vs first");
  for (const [w, seconds] of all) {
    const tps = seconds.map((s) => tokensPerStep / s);
    const median = percentile(tps, 50);
    console.log(
      `${String(w).padStart(7)} | ${String(Math.round(median)).padStart(12)} | ${`${Math.round(percentile(tps, 25))}–${Math.round(percentile(tps, 75))}`.padStart(13)} | ` +
        `${percentile(seconds, 50).toFixed(3).padStart(13)} | ${(median / base).toFixed(2)}×`,
    );
  }
  console.log(`load average at the end ${load()}`);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
