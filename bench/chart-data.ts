// A long synthetic run for the chart benchmarks: smooth curves with noise, one spike and one NaN
// planted in the loss, written through the real MetricWriter (rollups included).
import { randomBytes } from "node:crypto";
import type { MetricPoint } from "../lib/protocol";
import { RunConfig } from "../lib/run-config";
import type { Db } from "../server/db/db";
import { MetricWriter } from "../server/services/metrics/metrics";

export const SPIKE_VALUE = 40;
export const spikeStep = (n: number) => Math.floor(n * 0.4321);
export const nanStep = (n: number) => Math.floor(n * 0.7777);
/** Seconds between steps: a million steps span about 14 hours. */
export const STEP_SECONDS = 0.05;
export const START_TIME = 1.7e9;

/** loss, lr and grad_norm of one step of an n-step run. */
export function pointsAt(step: number, n: number, wallTime = START_TIME + step * STEP_SECONDS): MetricPoint[] {
  const noise = Math.sin(step * 12.9898) * 0.02;
  const loss = step === spikeStep(n) ? SPIKE_VALUE : step === nanStep(n) ? null : 2 + 8 / Math.sqrt(1 + step / 100) + noise + (step % 97_331 === 0 ? 3 : 0);
  return [
    { step, key: "loss", value: loss, wallTime },
    { step, key: "lr", value: 3e-4 * Math.min(1, step / 2000) * (0.5 + 0.5 * Math.cos((Math.PI * step) / n)), wallTime },
    { step, key: "grad_norm", value: 0.5 + Math.abs(noise) * 10, wallTime },
  ];
}

/** A run row whose token a fake trainer can use on /trainer. */
export async function newRun(db: Db, name: string, steps: number, status: "completed" | "running" = "completed") {
  const token = randomBytes(24).toString("hex");
  const run = await db.run.create({ data: { name, config: JSON.stringify(RunConfig.parse({ name, steps })), token, totalSteps: steps, status, step: steps } });
  return { id: run.id, token };
}

/** Writes steps [0, n) of the run through MetricWriter in bulk flushes; returns points per second. */
export async function ingest(databaseUrl: string, runId: string, n: number, stepsPerBatch = 2000): Promise<number> {
  const writer = new MetricWriter(databaseUrl);
  const t = performance.now();
  for (let s = 0; s < n; s += stepsPerBatch) {
    const batch: MetricPoint[] = [];
    for (let step = s; step < Math.min(n, s + stepsPerBatch); step++) batch.push(...pointsAt(step, n));
    const done = writer.enqueue(runId, batch);
    await writer.flush();
    await done;
  }
  await writer.close();
  return (3 * n * 1000) / (performance.now() - t);
}
