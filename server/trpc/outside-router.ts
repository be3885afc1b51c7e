import { z } from "zod";
import { ROLES } from "../../lib/outside-metrics";
import { procedure, router } from "./init";

const RunId = z.string().min(1).max(64);
const Name = z.string().min(1).max(250);

/** Runs logged by trainers this server did not start (the MLflow API, TensorBoard folders). */
export const outsideRouter = router({
  /** Params (its config), tags, stored key → original metric name, roles, its experiment and artifacts. */
  detail: procedure.input(z.object({ runId: RunId })).query(async ({ ctx, input }) => {
    const { outsideRuns, db } = ctx.services;
    const run = await outsideRuns.row(input.runId);
    const [params, tags, metricNames, roles, experiment] = await Promise.all([
      outsideRuns.params(run.id), outsideRuns.tags(run.id), outsideRuns.metricNames(run.id), outsideRuns.roles(run.id),
      run.experimentId === null ? null : db.experiment.findUnique({ where: { id: run.experimentId }, select: { id: true, name: true } }),
    ]);
    return { source: run.source, params, tags, metricNames, roles, experiment, artifacts: outsideRuns.artifacts(run.id) };
  }),
  /** Which original name plays each role (null clears it); stored points move to the new keys. */
  setRoles: procedure
    .input(z.object({ runId: RunId, roles: z.partialRecord(z.enum(ROLES), Name.nullable()) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.outsideRuns.row(input.runId);
      const changes = Object.fromEntries(Object.entries(input.roles).map(([role, name]) => [role, name ?? undefined]));
      return ctx.services.outsideRuns.setRoles(input.runId, changes);
    }),
});
