import fs from "node:fs";
import path from "node:path";
import { LAYER_STATS_DEFAULT } from "../../lib/run-config";
import type { TestDb } from "./db";

/** The pid of the live trainer process of a run, found from /proc (the test is not its parent). */
export function trainerPid(runId: string): number | null {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd: string[];
    try {
      cmd = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // it exited while we looked
    }
    const i = cmd.indexOf("--run-id");
    if (i >= 0 && cmd[i + 1] === runId && cmd.some((a) => a.endsWith(path.join("trainer", "cli", "train.ts"))) && !isZombie(Number(entry))) return Number(entry);
  }
  return null;
}

function isZombie(pid: number): boolean {
  try {
    return /\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch {
    return false;
  }
}

/** The newest step a trainer printed in its log (progress lines read `step 120/300 │ …`). */
export function loggedStep(logFile: string): number {
  if (!fs.existsSync(logFile)) return -1;
  const steps = [...fs.readFileSync(logFile, "utf8").matchAll(/^step (\d+)\//gm)].map((m) => Number(m[1]));
  return steps.length ? Math.max(...steps) : -1;
}

/** Every stored metric of a run as "key@step", with how often each occurs. */
export async function metricCounts(db: TestDb, runId: string): Promise<Map<string, number>> {
  const rows = await db.all<{ key: string; step: number; c: number }>(`SELECT "key", "step", COUNT(*) AS "c" FROM "Metric" WHERE "runId" = ? GROUP BY "key", "step"`, runId);
  return new Map(rows.map((r) => [`${r.key}@${r.step}`, r.c]));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The steps before `steps` at which a run logs a per-step key: per-layer statistics every layerStatsInterval, the rest every step. */
export function loggedSteps(key: string, steps: number, layerStatsInterval = LAYER_STATS_DEFAULT): number[] {
  const every = key.startsWith("layers/") || key.startsWith("logits/") ? layerStatsInterval : 1;
  return Array.from({ length: steps }, (_, s) => s).filter((s) => s % every === 0);
}
