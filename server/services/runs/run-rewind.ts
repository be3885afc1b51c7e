import fs from "node:fs";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import type { Db } from "../../db/db";
import type { Hub } from "../hub/hub";
import type { RunSummary } from "../hub/run-summary";

/** What moving a run's resume point back touches; `runDir` is that run's folder. */
export interface RewindContext {
  db: Db;
  hub: Hub;
  runDir: string;
  supersedeAfter: ((runId: string, afterStep: number) => Promise<void>) | null;
}

export async function startOver(c: RewindContext, id: string) {
  const checkpoints = path.join(c.runDir, "checkpoints");
  // Kept, not deleted: they may still be worth a look by hand.
  if (fs.existsSync(checkpoints)) fs.renameSync(checkpoints, path.join(c.runDir, `checkpoints-discarded-${Date.now()}`));
  await c.db.checkpoint.deleteMany({ where: { runId: id } });
  await c.supersedeAfter?.(id, -1);
}

/**
 * Makes `step` the run's newest checkpoint, so its next trainer resumes there: the later
 * checkpoint folders move to checkpoints-set-aside-<time>/ (kept for a look by hand, or to move
 * back), their records go, and the metrics after the step are superseded.
 */
export async function rewindTo(c: RewindContext, run: RunSummary, step: number) {
  const rows = await c.db.checkpoint.findMany({ where: { runId: run.id }, orderBy: { step: "asc" }, select: { step: true } });
  if (!rows.some((r) => r.step === step))
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `Run ${run.name} has no checkpoint at step ${step}; ${rows.length ? `its checkpoints are at steps ${rows.map((r) => r.step).join(", ")}` : "it has none"}`,
    });
  const root = path.join(c.runDir, "checkpoints");
  const later = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => Number(/^step-(\d+)$/.exec(d)?.[1] ?? -1) > step) : [];
  if (later.length > 0) {
    const aside = path.join(c.runDir, `checkpoints-set-aside-${Date.now()}`);
    fs.mkdirSync(aside, { recursive: true });
    for (const d of later) fs.renameSync(path.join(root, d), path.join(aside, d));
    console.log(`run ${run.id}: resuming at step ${step}; set aside ${later.join(", ")} in ${aside}`);
  }
  await c.db.checkpoint.deleteMany({ where: { runId: run.id, step: { gt: step } } });
  await c.supersedeAfter?.(run.id, step);
  await c.db.run.update({ where: { id: run.id }, data: { step } });
  c.hub.rollback(run.id, step);
}
