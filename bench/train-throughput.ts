// `npm run bench:train`: training tokens/s of the reference configs on our trainer and on the same
// model in PyTorch, with MFU against a GEMM peak measured in the same run. Prints a table and writes
// a JSON report (docs/throughput.md). Flags: --configs tiny,large --steps N --warmup N --rounds N
// --backend <name> --no-torch --out <file>.
// Our side runs trainer/loop/train.ts itself (model, objective, accumulate, clip, AdamW, the loop's one
// read-back) on a synthetic token dataset, and times steps with the trainer's own tokens_per_sec.
// Medians, because the machine may be shared; the cores other processes used are recorded for every side.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { RunConfig } from "../lib/run-config";
import { writeTokenDataset } from "../tests/helpers/token-dataset";
import { selectBackend } from "../trainer/backend/backend";
import { nativeGemm, nativeGemmEnabled } from "../trainer/backend/kernels/native-gemm";
import { fail, parseFlags } from "../trainer/cli/flags";
import { train } from "../trainer/loop/train";
import { type BlasInfo, classifyBlas, describeBlas, ourBlas, torchBlasRefusal } from "./blas";
import { ourMatmulPeak } from "./gemm-peak";
import { cpuMark, otherCores } from "./other-cpu";
import {
  CONFIGS, type BenchModel, type ConfigName, type ConfigResult, FLAG_OPTIONS, Flags, formatTable, mfu, modelFlops, percentile, type Peak,
  prepareFlags, throughput,
} from "./train-throughput-report";

// Debian's torch lives in the system interpreter; a pyenv python3 on PATH would not see it.
const PYTHON = "/usr/bin/python3";
const TORCH_SCRIPT = path.join(import.meta.dirname, "torch_reference.py");
/** Other processes' share of the cores above which a run's ratio is not to be trusted. */
const BUSY_CORES = 0.25;
const APT = "apt-get update && apt-get install -y python3-torch libopenblas0-pthread";
const APT_OPENBLAS = "apt-get update && apt-get install -y libopenblas0-pthread";
const isRoot = process.getuid?.() === 0;
const hasAptGet = () => spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0;
const aptEnv = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };

const flags = parseFlags(FLAG_OPTIONS, Flags, prepareFlags);
const cores = os.cpus().length;
const loadStart = os.loadavg();
console.log(`${cores} cores (${os.cpus()[0]?.model ?? "unknown cpu"}), load average ${loadStart.map((l) => l.toFixed(2)).join(" ")}`);

/** OpenBLAS is installed (the system's library cache lists libopenblas.so.0). */
function openblasInstalled(): boolean {
  for (const cmd of ["/sbin/ldconfig", "ldconfig"]) {
    const r = spawnSync(cmd, ["-p"], { encoding: "utf8" });
    if (r.status === 0) return r.stdout.includes("libopenblas.so.0");
  }
  return false;
}

/**
 * Installs libopenblas0-pthread when it is missing and this process may (root, apt-get), before
 * anything loads a BLAS; null when OpenBLAS is there afterwards, else why not.
 */
function ensureOpenblas(): string | null {
  if (openblasInstalled()) return null;
  if (!isRoot || !hasAptGet()) return `OpenBLAS is not installed and this process cannot install it (${isRoot ? "no apt-get" : "not root"}); run \`sudo sh -c '${APT_OPENBLAS}'\``;
  console.log(`OpenBLAS is not installed; installing it: ${APT_OPENBLAS}`);
  const r = spawnSync("sh", ["-c", APT_OPENBLAS], { stdio: ["ignore", "inherit", "inherit"], env: aptEnv });
  if (r.status !== 0) return `\`${APT_OPENBLAS}\` failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`;
  return openblasInstalled() ? null : "libopenblas0-pthread is installed but libopenblas.so.0 is still not in the library cache";
}

// Only a comparison needs it: a --no-torch run measures our side on whatever the machine has.
const openblasMissing = flags.torch ? ensureOpenblas() : null;
if (openblasMissing) console.log(openblasMissing);

const backend = await selectBackend(flags.backend).catch((e: Error) => fail(e.message, 1));
console.log(`our backend: ${backend.label}${backend.note ? ` (${backend.note})` : ""}${backend.warning ? ` (warning: ${backend.warning})` : ""}`);
const gemmStatus = nativeGemm();
const ourBlasLabel = ourBlas(backend.name, gemmStatus.ok
  ? { enabled: nativeGemmEnabled(), ok: true, config: gemmStatus.lib.config, threads: gemmStatus.lib.threads() }
  : { enabled: nativeGemmEnabled(), ok: false, reason: gemmStatus.reason });
console.log(`our BLAS: ${ourBlasLabel}`);

/** null when PyTorch is ready, else why not. */
function ensureTorch(): string | null {
  const importable = () => spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore" }).status === 0;
  if (importable()) return null;
  if (!isRoot) return `PyTorch is missing from ${PYTHON} and installing it needs root; run \`sudo sh -c '${APT}'\``;
  console.log(`PyTorch is missing from ${PYTHON}; installing Debian's python3-torch and libopenblas0-pthread: ${APT}`);
  const r = spawnSync("sh", ["-c", APT], { stdio: ["ignore", "inherit", "inherit"], env: aptEnv });
  if (r.status !== 0) return `\`${APT}\` failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`;
  return importable() ? null : `python3-torch is installed but \`${PYTHON} -c "import torch"\` still fails`;
}

function python(args: string[]): Record<string, unknown> {
  const r = spawnSync(PYTHON, [TORCH_SCRIPT, "--threads", String(cores), ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${path.basename(TORCH_SCRIPT)} ${args[0]} ${r.error ? `failed: ${r.error.message}` : `exited ${r.status ?? r.signal}`}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "");
}

let torchReason = flags.torch ? ensureTorch() : "--no-torch";

function probeTorchBlas(): BlasInfo {
  const r = python(["blas"]);
  return classifyBlas((r.blas_libs as string[] | undefined) ?? [], (r.blas_info as string | undefined) ?? "");
}

/** PyTorch's BLAS, after installing OpenBLAS if it runs on another and this process may; null when PyTorch is not measured. */
let torchBlas: BlasInfo | null = null;
if (torchReason === null) {
  try {
    torchBlas = probeTorchBlas();
    console.log(`PyTorch BLAS: ${describeBlas(torchBlas)}`);
    if (torchBlasRefusal(torchBlas, "") !== null && ensureOpenblas() === null) {
      torchBlas = probeTorchBlas();
      console.log(`PyTorch BLAS after installing OpenBLAS: ${describeBlas(torchBlas)}`);
    }
    torchReason = torchBlasRefusal(torchBlas, `Install OpenBLAS (\`${APT_OPENBLAS}\`, as root) and rerun.`);
  } catch (e) {
    torchReason = (e as Error).message;
  }
}

interface TorchGemm {
  torch: string;
  threads: number;
  blas: string;
  n: number;
  gflops: number[];
}
/**
 * GEMM samples at the start and after each config: other jobs on the machine cut a multi-threaded
 * GEMM to a fraction of its speed for seconds at a time, so the peak is the best of all of them.
 */
const gemmSamples: TorchGemm[] = [];
function sampleGemm(): void {
  if (torchReason !== null) return;
  try {
    const g = python(["gemm"]) as unknown as TorchGemm;
    if (gemmSamples.length === 0) console.log(`PyTorch ${g.torch}, ${g.threads} threads, BLAS: ${g.blas}`);
    gemmSamples.push(g);
    console.log(`  PyTorch fp32 GEMM ${g.n}²: best ${Math.max(...g.gflops).toFixed(1)} GFLOP/s, median ${percentile(g.gflops, 50).toFixed(1)} of ${g.gflops.length}`);
  } catch (e) {
    torchReason = (e as Error).message;
  }
}
sampleGemm();
if (flags.torch && torchReason) console.log(`PyTorch unavailable, measuring our side only: ${torchReason}`);

async function ours(name: string, m: BenchModel, steps: number, warmup: number): Promise<number[]> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "bench-train-"));
  try {
    const dataDir = path.join(root, "data");
    const tokens = 64 * m.batchSize * (m.contextLength + 1);
    const ds = writeTokenDataset(dataDir, { vocabSize: m.vocabSize, domains: [{ name: "synthetic", weight: 1, trainTokens: tokens, valTokens: 4 * m.contextLength }] });
    const total = warmup + steps;
    const { nLayer, nHead, dModel, contextLength, batchSize } = m;
    const config = RunConfig.parse({
      name: `bench ${name}`, nLayer, nHead, dModel, contextLength, batchSize, dataset: ds.id, backend: flags.backend, workers: flags.workers, evals: [], steps: total, warmupSteps: 0,
      optimizer: "adamw", clipNorm: 1, evalInterval: 1_000_000, evalBatches: 1, checkpointInterval: 1_000_000, logInterval: 1,
    });
    const seconds: number[] = [];
    await train(config, { runDir: path.join(root, "run"), dataDir }, {
      onStart: () => {},
      onMetrics: (points) => {
        for (const p of points) {
          if (p.key !== "tokens_per_sec") continue;
          const s = (m.batchSize * m.contextLength) / (p.value as number);
          console.log(`  ${name} ours step ${p.step + 1}/${total}${p.step < warmup ? " (warm-up)" : ""}: ${s.toFixed(2)} s, ${Math.round(p.value as number)} tok/s`);
          if (p.step >= warmup) seconds.push(s);
        }
      },
      onCheckpoint: () => {},
      onLog: () => {},
      shouldStop: () => false,
    });
    return seconds;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function torchSteps(m: BenchModel, steps: number, warmup: number): { seconds: number[]; params: number } {
  const args = { layers: m.nLayer, width: m.dModel, heads: m.nHead, context: m.contextLength, batch: m.batchSize, vocab: m.vocabSize, steps, warmup };
  const r = python(["train", ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)])]);
  return { seconds: r.step_seconds as number[], params: r.params as number };
}

/** Timed steps pooled over rounds, the load around each round, or the first failure. */
interface Pool {
  seconds: number[];
  load: number[];
  otherCores: (number | null)[];
  error?: string;
}
const pools = new Map(flags.configs.map((name) => [name, { ours: { seconds: [], load: [], otherCores: [] } as Pool, torch: { seconds: [], load: [], otherCores: [] } as Pool, torchParams: 0 }]));
const plan = (name: ConfigName) => ({ steps: flags.steps ?? CONFIGS[name].steps, warmup: flags.warmup ?? CONFIGS[name].warmup });

async function side(pool: Pool, label: string, run: () => Promise<number[]> | number[]): Promise<void> {
  if (pool.error) return;
  const before = os.loadavg()[0];
  const mark = cpuMark();
  try {
    pool.seconds.push(...(await run()));
  } catch (e) {
    pool.error = (e as Error).message;
    console.log(`  ${label} failed: ${pool.error}`);
  }
  pool.load.push(before, os.loadavg()[0]);
  pool.otherCores.push(otherCores(mark));
}

for (let round = 0; round < flags.rounds; round++) {
  for (const name of flags.configs) {
    const m: BenchModel = CONFIGS[name];
    const { steps, warmup } = plan(name);
    const f = modelFlops(m);
    console.log(
      `\n${name}${flags.rounds > 1 ? ` (round ${round + 1}/${flags.rounds})` : ""}: ${m.nLayer} layers, width ${m.dModel}, ${m.nHead} heads, ` +
        `context ${m.contextLength}, batch ${m.batchSize}, vocab ${m.vocabSize}; ${f.params.toLocaleString("en-US")} parameters, ${(f.total / 1e6).toFixed(2)} MFLOP per token`,
    );
    const pool = pools.get(name)!;
    const runOurs = () => side(pool.ours, "ours", () => ours(name, m, steps, warmup));
    const runTorch = async () => {
      if (torchReason !== null) return;
      await side(pool.torch, "PyTorch", () => {
        const r = torchSteps(m, steps, warmup);
        pool.torchParams = r.params;
        console.log(`  PyTorch: median ${Math.round(percentile(r.seconds.map((s) => f.tokensPerStep / s), 50))} tok/s over ${r.seconds.length} steps`);
        return r.seconds;
      });
      if (pool.torchParams && pool.torchParams !== f.params)
        console.log(`  warning: the PyTorch model has ${pool.torchParams} parameters, ours ${f.params}; the comparison is off`);
      sampleGemm();
      if (torchReason !== null) console.log(`PyTorch unavailable from here on: ${torchReason}`);
    };
    // Alternating who goes first spreads a slow spell of the machine over both sides.
    for (const run of round % 2 === 0 ? [runOurs, runTorch] : [runTorch, runOurs]) await run();
  }
}

const results: ConfigResult[] = flags.configs.map((name) => {
  const m: BenchModel = CONFIGS[name];
  const model = { ...m, ...plan(name), ...modelFlops(m) };
  const { ours: o, torch: t, torchParams } = pools.get(name)!;
  const stats = (p: Pool) => ({ ...throughput(p.seconds, model.tokensPerStep), load: p.load, otherCores: p.otherCores, mfu: null });
  return {
    name,
    model,
    ours: o.error ? { error: o.error } : { ...stats(o), backend: backend.label },
    torch: t.error ? { error: t.error } : t.seconds.length > 0 ? { ...stats(t), params: torchParams } : null,
  };
});

const ourMatmul = await ourMatmulPeak();
const torchPeak = gemmSamples.length > 0 ? Math.max(...gemmSamples.flatMap((g) => g.gflops)) : null;
const peak: Peak = torchPeak !== null ? { gflops: torchPeak, source: "torch" } : { gflops: ourMatmul.gflops, source: "ours" };
for (const r of results) {
  if (!("error" in r.ours)) r.ours.mfu = mfu(r.ours.tokensPerSec.median, r.model.total, peak.gflops);
  if (r.torch && !("error" in r.torch)) r.torch.mfu = mfu(r.torch.tokensPerSec.median, r.model.total, peak.gflops);
}

const loadEnd = os.loadavg();
console.log("");
for (const line of formatTable(results)) console.log(line);
console.log(`BLAS: ours on ${ourBlasLabel}; PyTorch ${torchBlas ? `on ${describeBlas(torchBlas)}` : "not measured"}${torchReason && torchReason !== "--no-torch" ? ` (${torchReason})` : ""}`);
const peakFrom = peak.source === "torch" ? `PyTorch fp32 GEMM ${gemmSamples[0].n}², best of ${gemmSamples.length} samples` : "our backend's best matmul; PyTorch not measured";
console.log(`\nMFU peak: ${peak.gflops.toFixed(1)} GFLOP/s (${peakFrom}); our ${ourMatmul.backend} matmul: ${ourMatmul.bySize.map((s) => `${s.n}² ${s.gflops.toFixed(1)}`).join(", ")} GFLOP/s`);
const rounds = flags.rounds > 1 ? ` × ${flags.rounds} rounds` : "";
console.log(`medians over the timed steps after warm-up (${results.map((r) => `${r.name}: ${r.model.steps} after ${r.model.warmup}${rounds}`).join(", ")})`);
const others = results.flatMap((r) => [r.ours, r.torch].flatMap((side) => (side && "otherCores" in side ? side.otherCores : []))).filter((c) => c !== null);
const busiest = others.length ? Math.max(...others) : null;
console.log(busiest === null ? "other processes' CPU use: unknown (no /proc)" : `other processes used at most ${busiest.toFixed(2)} of ${cores} cores during any side`);
if (busiest !== null && busiest > BUSY_CORES)
  console.log(`warning: other processes kept ${busiest.toFixed(2)} cores busy; PyTorch's ${cores} threads suffer most, so rerun before trusting the ratio`);

const report = {
  date: new Date().toISOString(),
  machine: { cores, cpu: os.cpus()[0]?.model ?? "unknown", node: process.version, loadAverage: { start: loadStart, end: loadEnd } },
  flags,
  backend,
  blas: { ours: ourBlasLabel, torch: torchBlas && { ...torchBlas, description: describeBlas(torchBlas) } },
  peak,
  torchGemm: gemmSamples,
  torchUnavailable: torchReason,
  ourMatmul,
  configs: results,
};
fs.mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
fs.writeFileSync(flags.out, JSON.stringify(report, null, 1) + "\n");
console.log(`report: ${flags.out}`);
