import type { MetricPoint } from "../../lib/protocol";
import { RunConfig } from "../../lib/run-config";
import { migrate, openDb } from "../../server/db/db";
import { loadEnv } from "../../server/env";
import { MetricWriter } from "../../server/services/metrics/metrics";
import { databaseEnv } from "./db";

export const SEEDED = {
  steps: 600,
  batch: 8,
  /** The loss spike a rollback undid: kept as superseded points, absent from the live series. */
  spikeStep: 300,
  spike: 50.1,
  token: "s".repeat(32),
};

const T0 = 1.7e9;

/** One step of a run's metrics: a noisy falling loss, an lr warmup, a constant batch, sparse evaluations. */
export function seededPoints(step: number): MetricPoint[] {
  const wallTime = T0 + step * 0.1;
  const points: MetricPoint[] = [
    { step, key: "loss", value: 2 + 6 / Math.sqrt(1 + step / 20) + 0.3 * Math.sin(step * 12.9898), wallTime },
    { step, key: "lr", value: 3e-4 * Math.min(1, (step + 1) / 200), wallTime },
    { step, key: "grad_norm", value: 0.5 + 0.2 * Math.abs(Math.sin(step)), wallTime },
    { step, key: "batch_size", value: SEEDED.batch, wallTime },
    { step, key: "tokens_per_sec", value: 9000 + 500 * Math.sin(step / 30), wallTime },
  ];
  if (step % 100 === 0) {
    points.push({ step, key: "val_loss", value: 2.2 + 6 / Math.sqrt(1 + step / 20), wallTime });
    // A small model's lambada accuracy: 0 at first, a few hundredths later.
    points.push({ step, key: "eval/lambada/acc", value: Math.min(0.06, step / 10_000), wallTime });
  }
  return points;
}

/**
 * A finished run written straight into the database, as a trainer's batches would be, with the
 * steps a rollback undid (the spike and the steps before it) as attempt 1's superseded points.
 * `status` "failed" makes Resume possible.
 */
export async function seedRun(dataDir: string, name: string, status: "completed" | "failed" = "completed"): Promise<string> {
  const env = loadEnv({ DATA_DIR: dataDir, ...(await databaseEnv(dataDir)) });
  await migrate(env);
  const db = openDb(env);
  const config = RunConfig.parse({ name, steps: SEEDED.steps, batchSize: SEEDED.batch, contextLength: 64 });
  const run = await db.run.create({
    data: { name, config: JSON.stringify(config), token: SEEDED.token, totalSteps: SEEDED.steps, step: SEEDED.steps - 1, status, error: status === "failed" ? "the trainer exited with code 1" : null },
  });
  const writer = new MetricWriter(env.databaseUrl, () => {}, 1);
  await writer.enqueue(run.id, Array.from({ length: SEEDED.steps }, (_, s) => seededPoints(s)).flat());
  await writer.close();
  await db.supersededMetric.createMany({
    data: Array.from({ length: 51 }, (_, i) => {
      const step = SEEDED.spikeStep - 50 + i;
      const value = step === SEEDED.spikeStep ? SEEDED.spike : seededPoints(step)[0].value;
      return { runId: run.id, key: "loss", step, value, wallTime: T0 + step * 0.1, attempt: 1 };
    }),
  });
  await db.$disconnect();
  return run.id;
}
