import fs from "node:fs";
import { TRPCError } from "@trpc/server";
import type { Db } from "../db";
import { assertIntact } from "./checkpoint-integrity";

/** The run's checkpoint at `step`, from its Checkpoint row, so only recorded files are ever opened. */
export async function findCheckpoint(db: Db, runId: string, step: number) {
  const run = await db.run.findUnique({ where: { id: runId }, select: { id: true } });
  if (!run) throw new TRPCError({ code: "NOT_FOUND", message: `No run with id ${runId}` });
  const row = await db.checkpoint.findUnique({ where: { runId_step: { runId, step } } });
  if (!row) {
    const steps = (await db.checkpoint.findMany({ where: { runId }, orderBy: { step: "asc" }, select: { step: true } })).map((c) => c.step);
    const has = steps.length ? `it has steps ${steps.join(", ")}` : "it has none yet";
    throw new TRPCError({ code: "NOT_FOUND", message: `Run ${runId} has no checkpoint at step ${step}; ${has}` });
  }
  if (!fs.existsSync(row.path))
    throw new TRPCError({ code: "NOT_FOUND", message: `The checkpoint file for step ${step} is gone from ${row.path}` });
  await assertIntact(row);
  return row;
}
