// `npm run bench:layer-stats`: the cost of the per-layer statistics (docs/layer-stats.md). Trains
// the same run with layerStatsInterval 0 (off), at the default interval and at 1 (every step),
// rounds interleaved, and prints the median step time of each side by side with its ratio to off.
// Flags: --configs form,tiny --steps N (timed steps per run) --rounds N --backend <name>.
// A step's time is the gap between consecutive loss points, so it holds everything the loop does.
// Both wall time and this process's CPU time are printed: on a shared machine the wall time
// swings with other processes' load, the CPU time much less (the wasm backend runs on one thread).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { LAYER_STATS_DEFAULT, RunConfig } from "../lib/run-config";
import { writeTokenDataset } from "../tests/helpers/token-dataset";
import { parseFlags } from "../trainer/cli/flags";
import { train } from "../trainer/loop/train";

/** The form's defaults, and bench:train's tiny config. */
const CONFIGS = {
  form: { nLayer: 2, nHead: 2, dModel: 64, contextLength: 64, batchSize: 32 },
  tiny: { nLayer: 4, nHead: 4, dModel: 128, contextLength: 128, batchSize: 8 },
} as const;
type ConfigName = keyof typeof CONFIGS;
const NAMES = Object.keys(CONFIGS) as ConfigName[];
const WARMUP = 3;
/** The paired measurement's interval: a stats step among every few plain ones. */
const PAIRED_INTERVAL = 5;
const WARM_STEPS = 30;

const Flags = z.object({
  configs: z.string().default(NAMES.join(",")).transform((s) => s.split(",")).pipe(z.array(z.enum(NAMES, { error: `--configs takes: ${NAMES.join(", ")}` }))),
  steps: z.coerce.number().int().min(LAYER_STATS_DEFAULT, `--steps must be at least the default interval, ${LAYER_STATS_DEFAULT}`).default(2 * LAYER_STATS_DEFAULT),
  rounds: z.coerce.number().int().min(1).max(20).default(2),
  backend: z.enum(["wasm", "cpu", "tensorflow", "webgpu", "auto"]).default("wasm"),
});
const flags = parseFlags({ configs: { type: "string" }, steps: { type: "string" }, rounds: { type: "string" }, backend: { type: "string" } }, Flags);

const root = fs.mkdtempSync(path.join(os.tmpdir(), "bench-layer-stats-"));
const dataDir = path.join(root, "data");
const dataset = writeTokenDataset(dataDir, { vocabSize: 512, domains: [{ name: "web", weight: 1, trainTokens: 400_000, valTokens: 20_000 }] });
let runs = 0;

interface Times {
  wall: number[];
  cpu: number[];
}

/** Seconds per step, wall and CPU, each a gap between loss points after the warmup steps. */
async function stepTimes(name: ConfigName, interval: number, timed = flags.steps): Promise<Times> {
  const steps = WARMUP + timed;
  const config = RunConfig.parse({
    name: "bench", evals: [], ...CONFIGS[name], steps, warmupSteps: 2, evalInterval: 1_000_000, evalBatches: 1, checkpointInterval: 1_000_000,
    dataset: dataset.id, backend: flags.backend, layerStatsInterval: interval,
  });
  const at: { wall: number; cpu: number }[] = [];
  await train(config, { runDir: path.join(root, `run-${runs++}`), dataDir }, {
    onStart: () => {}, onCheckpoint: () => {}, onLog: () => {}, shouldStop: () => false,
    onMetrics: (ps) => {
      if (!ps.some((p) => p.key === "loss")) return;
      const cpu = process.cpuUsage();
      at.push({ wall: performance.now() / 1000, cpu: (cpu.user + cpu.system) / 1e6 });
    },
  });
  const gaps = (k: "wall" | "cpu") => at.slice(WARMUP).map((t, i) => t[k] - at[WARMUP - 1 + i][k]);
  return { wall: gaps("wall"), cpu: gaps("cpu") };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;

console.log(`${os.cpus().length} cores, backend ${flags.backend}, ${flags.steps} timed steps per run, ${flags.rounds} rounds; default interval ${LAYER_STATS_DEFAULT}`);
const sides = [{ label: "off", interval: 0 }, { label: `every ${LAYER_STATS_DEFAULT}`, interval: LAYER_STATS_DEFAULT }, { label: "every step", interval: 1 }];
for (const name of flags.configs) {
  const times: Times[] = sides.map(() => ({ wall: [], cpu: [] }));
  // Untimed: the first run in a process pays for compiling both paths' code (wasm tiers up in the
  // background, so the first few dozen steps run slower whatever the statistics).
  await stepTimes(name, 1, WARM_STEPS);
  for (let r = 0; r < flags.rounds; r++)
    // The order turns each round, so a slow start or a neighbour's burst does not always land on one side.
    for (const i of sides.map((_, k) => (k + r) % sides.length)) {
      const s = sides[i];
      const t = await stepTimes(name, s.interval);
      times[i].wall.push(...t.wall);
      times[i].cpu.push(...t.cpu);
    }
  // Means, not medians: at the default interval one step in 50 carries the cost, and a median would hide it.
  const base = { wall: mean(times[0].wall), cpu: mean(times[0].cpu) };
  console.log(`\n${name}: ${JSON.stringify(CONFIGS[name])}`);
  console.log(["stats", "CPU / step", "ratio (CPU)", "wall / step", "ratio (wall)", "median wall"].map((h) => h.padEnd(16)).join(""));
  for (const [i, s] of sides.entries()) {
    const cpu = mean(times[i].cpu);
    const wall = mean(times[i].wall);
    console.log([s.label, ms(cpu), (cpu / base.cpu).toFixed(3), ms(wall), (wall / base.wall).toFixed(3), ms(median(times[i].wall))].map((c) => c.padEnd(16)).join(""));
  }
  // Paired, within one run: the stats steps against the plain steps around them, which the machine's load affects alike.
  const paired = await stepTimes(name, PAIRED_INTERVAL);
  const isStats = (j: number) => (WARMUP + j) % PAIRED_INTERVAL === 0;
  for (const k of ["cpu", "wall"] as const) {
    const statsSteps = mean(paired[k].filter((_, j) => isStats(j)));
    const plain = mean(paired[k].filter((_, j) => !isStats(j)));
    const extra = statsSteps / plain - 1;
    console.log(
      `within a run at every ${PAIRED_INTERVAL} (${k}): stats steps ${ms(statsSteps)}, plain steps ${ms(plain)}: a stats step costs ${(extra * 100).toFixed(1)}% more, ` +
        `so every ${LAYER_STATS_DEFAULT} adds ${((extra / LAYER_STATS_DEFAULT) * 100).toFixed(2)}% and every step ${(extra * 100).toFixed(1)}%`,
    );
  }
}
fs.rmSync(root, { recursive: true, force: true });
