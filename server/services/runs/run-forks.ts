import { TRPCError } from "@trpc/server";
import { FORK_LOCKED, RunConfig } from "../../../lib/run-config";
import type { Db } from "../../db/db";
import { jsonText } from "../../db/dialect";

/** The model's shape must match the parent's for its weights to load; anything else may change. */
export async function checkFork(db: Db, config: RunConfig) {
  if (!config.initFrom) return;
  const { runId, step } = config.initFrom;
  const parent = await db.run.findUnique({ where: { id: runId } });
  if (!parent) throw new TRPCError({ code: "BAD_REQUEST", message: `Cannot fork: no run with id ${runId}` });
  if (!(await db.checkpoint.findUnique({ where: { runId_step: { runId, step } } })))
    throw new TRPCError({ code: "BAD_REQUEST", message: `Cannot fork: run ${parent.name} has no checkpoint at step ${step}` });
  const parentConfig = RunConfig.parse(JSON.parse(parent.config));
  const changed = FORK_LOCKED.filter((k) => parentConfig[k] !== config[k]);
  if (changed.length > 0)
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `Cannot fork: ${changed.map((k) => `${k} is ${config[k]}, the parent's is ${parentConfig[k]}`).join("; ")}; the weights only fit the same model shape`,
    });
  if (config.initFrom.continue) {
    if (config.optimizer !== parentConfig.optimizer)
      throw new TRPCError({ code: "BAD_REQUEST", message: `Cannot continue run ${parent.name}: its optimizer is ${parentConfig.optimizer}, this run's is ${config.optimizer}; its state only fits the same one` });
    if (config.steps <= step)
      throw new TRPCError({ code: "BAD_REQUEST", message: `Cannot continue run ${parent.name} from step ${step}: this run ends at step ${config.steps}; give it more steps` });
  }
}

/** Runs forked from this one, oldest first. */
export async function forksOf(db: Db, id: string): Promise<{ id: string; name: string; step: number; status: string }[]> {
  const rows = await db.$queryRaw<{ id: string; name: string; status: string; config: string }[]>`
    SELECT "id", "name", "status", "config" FROM "Run" WHERE ${jsonText(db, `"config"`, ["initFrom", "runId"])} = ${id} ORDER BY "createdAt"`;
  return rows.map((r) => ({ id: r.id, name: r.name, status: r.status, step: (JSON.parse(r.config) as RunConfig).initFrom!.step }));
}
