import fs from "node:fs";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { confinedPath } from "../../confined";
import type { Db } from "../../db/db";
import { assertIntact } from "./checkpoint-integrity";

/** The run's checkpoint at `step`, from its Checkpoint row, so only recorded files inside the run's directory are ever opened. */
export async function findCheckpoint(db: Db, dataDir: string, runId: string, step: number) {
  const run = await db.run.findUnique({ where: { id: runId }, select: { id: true } });
  if (!run) throw new TRPCError({ code: "NOT_FOUND", message: `No run with id ${runId}` });
  const row = await db.checkpoint.findUnique({ where: { runId_step: { runId, step } } });
  if (!row) {
    const steps = (await db.checkpoint.findMany({ where: { runId }, orderBy: { step: "asc" }, select: { step: true } })).map((c) => c.step);
    const has = steps.length ? `it has steps ${steps.join(", ")}` : "it has none yet";
    throw new TRPCError({ code: "NOT_FOUND", message: `Run ${runId} has no checkpoint at step ${step}; ${has}` });
  }
  const file = checkpointFile(row.path, dataDir, runId);
  if (!fs.existsSync(file))
    throw new TRPCError({ code: "NOT_FOUND", message: `The checkpoint file for step ${step} is gone from ${row.path}` });
  await assertIntact(row);
  return { ...row, path: file };
}

/**
 * A recorded checkpoint path, resolved with symlinks followed, only if it lies inside its run's
 * directory: a path a trainer reported is never opened wherever it points.
 */
export function checkpointFile(recorded: string, dataDir: string, runId: string): string {
  return confinedPath(recorded, [path.join(dataDir, "runs", runId)], "A checkpoint", "checkpoint", "inside its run's directory");
}
