// False alarms of the anomaly detectors over real, fault-free training, printed, not asserted.
// Trains the default config (plus the variants named) on the default dataset and feeds every metric
// point to the same RunMonitor the server runs, with default thresholds.
// `node --import tsx bench/false-alarms.ts [steps=3000] [--save tests/fixtures/anomaly]`
// --save writes each run's loss, grad_norm, tokens_per_sec and val_loss series as a fixture.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { RunMonitor } from "../lib/anomaly/monitor";
import type { Anomaly } from "../lib/anomaly/types";
import type { MetricPoint } from "../lib/protocol";
import { RunConfig, type RunConfigInput } from "../lib/run-config";
import { COALESCE_STEPS } from "../server/services/alerts/alerts";
import { train } from "../trainer/loop/train";

/** What the server would store: anomalies of one type within COALESCE_STEPS of the last are one alert. */
function stored(alarms: Anomaly[]): Anomaly[] {
  const last = new Map<string, number>();
  return alarms.filter((a) => {
    const previous = last.get(a.type);
    last.set(a.type, a.step);
    return previous === undefined || Math.abs(a.step - previous) > COALESCE_STEPS;
  });
}
function byType(alarms: Anomaly[]): string {
  const counts = new Map<string, number>();
  for (const a of alarms) counts.set(a.type, (counts.get(a.type) ?? 0) + 1);
  return [...counts].map(([t, n]) => `${t} ${n}`).join(", ") || "none";
}

const steps = Number(process.argv[2] ?? 3000);
const saveIndex = process.argv.indexOf("--save");
const saveDir = saveIndex > 0 ? process.argv[saveIndex + 1] : null;
const dataDir = path.resolve(process.env.DATA_DIR ?? "./data");
const FIXTURE_KEYS = ["loss", "grad_norm", "tokens_per_sec", "val_loss"];

const variants: Record<string, Partial<RunConfigInput>> = {
  "adamw-gpt2": { optimizer: "adamw" },
  "lion-llama": { optimizer: "lion", arch: "llama", lr: 3e-4, minLr: 3e-5, weightDecay: 1 },
  "adafactor-small-batch": { optimizer: "adafactor", batchSize: 2, lr: 1e-2, minLr: 1e-3 },
};

const rows: string[][] = [];
for (const [name, variant] of Object.entries(variants)) {
  const config = RunConfig.parse({ name, steps, evals: [], evalInterval: 100, checkpointInterval: 1e6, ...variant });
  const monitor = new RunMonitor(config.anomaly);
  const alarms: Anomaly[] = [];
  const series: Record<string, [number, number | null][]> = {};
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "false-alarms-"));
  const started = Date.now();
  await train(config, { runDir, dataDir }, {
    onStart: () => {}, onCheckpoint: () => {}, onLog: () => {}, shouldStop: () => false,
    onMetrics(points: MetricPoint[]) {
      const safe = points.map((p) => ({ ...p, value: Number.isFinite(p.value) ? p.value : null }));
      alarms.push(...monitor.observe(safe));
      for (const p of safe) if (FIXTURE_KEYS.includes(p.key)) (series[p.key] ??= []).push([p.step, p.value]);
    },
  });
  fs.rmSync(runDir, { recursive: true, force: true });
  for (const a of alarms) console.log(`  ${name}: ${a.type} at step ${a.step}: ${a.message}`);
  rows.push([name, String(steps), String(alarms.length), byType(stored(alarms)), `${((Date.now() - started) / 1000).toFixed(0)} s`]);
  if (saveDir)
    fs.writeFileSync(path.join(saveDir, `normal-${name}.json`), JSON.stringify({
      description: `Recorded from a real ${steps}-step run of the default config (${name}) by bench/false-alarms.ts; metric series by key as [step, value]`,
      config: variant, series,
    }));
}
console.log("\nrun | steps | points flagged | alerts stored, by type | wall time");
for (const r of rows) console.log(r.join(" | "));
