import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import type { MetricPoint } from "../../lib/protocol";
import { RunConfig } from "../../lib/run-config";
import { migrate, openDb, type Db } from "../../server/db/db";
import { loadEnv } from "../../server/env";
import { AlertService } from "../../server/services/alerts/alerts";
import { Hub } from "../../server/services/hub/hub";
import { Watch } from "../../server/services/supervisor/watch";
import { recentHistory } from "../../server/services/supervisor/watch-history";
import { databaseEnv } from "../helpers/db";
import { tempDataDir, waitFor } from "../helpers/server";

const dataDir = tempDataDir("watch-resume");
let db: Db;

before(async () => {
  const env = loadEnv({ DATA_DIR: dataDir, ...(await databaseEnv(dataDir)) });
  await migrate(env);
  db = openDb(env);
});
after(async () => {
  await db?.$disconnect();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A recorded normal run, as the trainer's per-step batches. */
function recordedSteps(): MetricPoint[][] {
  const { series } = JSON.parse(fs.readFileSync(new URL("../fixtures/anomaly/normal-adamw-gpt2.json", import.meta.url), "utf8")) as {
    series: Record<string, [number, number | null][]>;
  };
  const byStep = new Map<number, MetricPoint[]>();
  for (const [key, points] of Object.entries(series))
    for (const [step, value] of points) byStep.set(step, [...(byStep.get(step) ?? []), { step, key, value, wallTime: 1000 + step }]);
  return [...byStep.keys()].sort((a, b) => a - b).map((s) => byStep.get(s)!);
}

/**
 * Resumes a run at `at` in a fresh Watch (as after a relaunch or a server restart) and returns the
 * alerts it raises over the rest of the run. Warmup 5: a person may shorten it, and then a detector
 * that starts empty learns its level from a handful of points of a falling loss.
 */
async function resumeAt(at: number, seeded: boolean) {
  const config = RunConfig.parse({ name: `resume-${at}-${seeded}`, anomaly: { warmup: 5, throughputPatience: 10_000 } });
  const run = await db.run.create({ data: { name: config.name, config: JSON.stringify(config), token: "t".repeat(32), totalSteps: 600, status: "running" } });
  const steps = recordedSteps();
  await db.metric.createMany({ data: steps.filter((b) => b[0].step < at).flat().map((p) => ({ runId: run.id, ...p })) });
  const alerts = new AlertService(db, new Hub(null));
  const watch = new Watch(alerts, seeded ? (id, beforeStep, perKey) => recentHistory(db, id, beforeStep, perKey) : null);
  watch.started(run.id, config);
  for (const batch of steps.filter((b) => b[0].step >= at)) watch.metrics(run.id, batch);
  // The history loads asynchronously; the points that came meanwhile are fed after it.
  await waitFor("the watch to take every point", () => (watch as unknown as { runs: Map<string, { step: number }> }).runs.get(run.id)!.step === 600, 30_000);
  await new Promise((r) => setTimeout(r, 200));
  watch.close();
  return (await alerts.list({ runId: run.id, limit: 100 })).map((a) => `${a.type}@${a.step}`);
}

test("a resumed run's detectors start from its stored history: no false loss_drop after the resume", async () => {
  for (const at of [205, 215, 430]) {
    const fresh = await resumeAt(at, false);
    const seeded = await resumeAt(at, true);
    console.log(`resume at step ${at}: detectors started empty raise [${fresh.join(", ")}], seeded from the database [${seeded.join(", ")}]`);
    assert.deepEqual(seeded, [], `resume at ${at}`);
  }
});
