// The pure parts of bench/train-throughput.ts: reference configs, flags, FLOP accounting, step
// statistics and the printed table. No I/O, so tests/unit/bench-train.test.ts can check them.
import { z } from "zod";
import { paramCount } from "../lib/estimates";
import { flopsPerTokenBreakdown } from "../lib/planning/flops";
import { BACKENDS } from "../lib/run-config";

export interface BenchModel {
  nLayer: number;
  nHead: number;
  dModel: number;
  contextLength: number;
  batchSize: number;
  vocabSize: number;
}

/** A model and its default timed and warm-up steps (--steps and --warmup override them for every config). */
export type BenchConfig = BenchModel & { steps: number; warmup: number };

/**
 * gpt2 architecture (trainer/model/gpt2.ts). large has 12.5× tiny's parameters and 12× its FLOPs
 * per token (24× per step); it runs fewer steps by default because each of ours takes seconds on wasm.
 */
export const CONFIGS = {
  tiny: { steps: 20, warmup: 3, nLayer: 4, nHead: 4, dModel: 128, contextLength: 128, batchSize: 8, vocabSize: 512 },
  large: { steps: 6, warmup: 2, nLayer: 6, nHead: 6, dModel: 384, contextLength: 256, batchSize: 8, vocabSize: 512 },
} satisfies Record<string, BenchConfig>;
export type ConfigName = keyof typeof CONFIGS;
const CONFIG_NAMES = Object.keys(CONFIGS) as ConfigName[];

export const FLAG_OPTIONS = {
  configs: { type: "string" },
  steps: { type: "string" },
  warmup: { type: "string" },
  backend: { type: "string" },
  rounds: { type: "string" },
  workers: { type: "string" },
  "no-torch": { type: "boolean" },
  out: { type: "string" },
} as const;

const count = (flag: string, min: number) =>
  z.coerce.number({ error: `--${flag} must be a number` }).int(`--${flag} must be a whole number`).min(min, `--${flag} must be at least ${min}`);

export const Flags = z.object({
  configs: z
    .array(z.enum(CONFIG_NAMES, { error: `--configs takes a comma-separated list of: ${CONFIG_NAMES.join(", ")}` }))
    .min(1, "--configs names no config"),
  steps: count("steps", 1).optional(),
  warmup: count("warmup", 0).optional(),
  /** Each round runs every config on both sides afresh (warm-up included); steps pool over rounds. */
  rounds: count("rounds", 1).default(1),
  /** Data-parallel worker threads for our side (the run config's `workers`; 0 = one per core). */
  workers: count("workers", 0).default(1),
  backend: z.enum(BACKENDS, { error: `--backend must be one of: ${BACKENDS.join(", ")}` }).default("auto"),
  torch: z.boolean(),
  out: z.string().min(1, "--out needs a file name").default("bench-results/train-throughput.json"),
});
export type Flags = z.infer<typeof Flags>;

/** Raw parseArgs values into the schema's shape. */
export function prepareFlags(v: Record<string, unknown>): Record<string, unknown> {
  const { configs, "no-torch": noTorch, ...rest } = v;
  return {
    ...rest,
    configs: typeof configs === "string" ? configs.split(",").map((s) => s.trim()).filter(Boolean) : CONFIG_NAMES,
    torch: !noTorch,
  };
}

/** N and FLOPs per token exactly as the dashboard's planning panel computes them. */
export function modelFlops(m: BenchModel) {
  const shape = { arch: "gpt2" as const, nLayer: m.nLayer, dModel: m.dModel, contextLength: m.contextLength, vocabSize: m.vocabSize };
  return { params: paramCount(shape), ...flopsPerTokenBreakdown(shape), tokensPerStep: m.batchSize * m.contextLength };
}

/** Percentile by linear interpolation between order statistics (numpy's default). */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) throw new Error("percentile of no values");
  const s = [...xs].sort((a, b) => a - b);
  const at = (p / 100) * (s.length - 1);
  const lo = Math.floor(at);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo);
}

export interface Throughput {
  steps: number;
  stepSeconds: number[];
  tokensPerSec: { median: number; p10: number; p90: number };
}

/** Per-step tokens/s of timed steps; the percentiles are over steps, not pooled tokens. */
export function throughput(stepSeconds: number[], tokensPerStep: number): Throughput {
  const tps = stepSeconds.map((s) => tokensPerStep / s);
  return { steps: stepSeconds.length, stepSeconds, tokensPerSec: { median: percentile(tps, 50), p10: percentile(tps, 10), p90: percentile(tps, 90) } };
}

/** Model FLOPs utilisation: achieved model FLOP/s over the peak. */
export const mfu = (tokensPerSec: number, flopsPerToken: number, peakGflops: number) => (tokensPerSec * flopsPerToken) / (peakGflops * 1e9);

/**
 * One side's timed steps; load holds the 1-minute load average before and after each round, and
 * otherCores the cores other processes used during each round (bench/other-cpu.ts).
 */
export type Side = Throughput & { load: number[]; otherCores: (number | null)[]; mfu: number | null };

export interface ConfigResult {
  name: string;
  model: BenchConfig & ReturnType<typeof modelFlops>;
  ours: (Side & { backend: string }) | { error: string };
  torch: (Side & { params: number }) | { error: string } | null;
}

export interface Peak {
  /** What the MFU columns divide by. */
  gflops: number;
  source: "torch" | "ours";
}

const n0 = (x: number) => Math.round(x).toLocaleString("en-US");
const pct = (x: number | null) => (x === null ? "n/a" : `${(x * 100).toFixed(2)}%`);

/** The printed table, one line per config. */
export function formatTable(results: ConfigResult[]): string[] {
  const rows = [["config", "ours tok/s (median, p10–p90)", "PyTorch tok/s", "ours/PyTorch", "our MFU", "PyTorch MFU"]];
  for (const r of results) {
    const ours = "error" in r.ours ? null : r.ours;
    const torch = r.torch && !("error" in r.torch) ? r.torch : null;
    rows.push([
      r.name,
      ours ? `${n0(ours.tokensPerSec.median)} (${n0(ours.tokensPerSec.p10)}–${n0(ours.tokensPerSec.p90)})` : "failed",
      torch ? n0(torch.tokensPerSec.median) : r.torch ? "failed" : "skipped",
      ours && torch ? (ours.tokensPerSec.median / torch.tokensPerSec.median).toFixed(3) : "n/a",
      pct(ours?.mfu ?? null),
      pct(torch?.mfu ?? null),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | "));
}
