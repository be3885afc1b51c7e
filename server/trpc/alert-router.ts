import { z } from "zod";
import { ALERT_TYPES } from "../../lib/anomaly/types";
import { supersededHistory } from "../services/metrics/metrics";
import { procedure, router } from "./init";

const RunId = z.string().min(1).max(64);

export const alertRouter = router({
  list: procedure
    .input(z.object({ runId: RunId.optional(), limit: z.number().int().min(1).max(1000).default(200), unacknowledgedOnly: z.boolean().default(false) }))
    .query(({ ctx, input }) => ctx.services.alerts.list(input)),
  unacknowledged: procedure.query(({ ctx }) => ctx.services.alerts.unacknowledged()),
  /** Warnings and criticals per run (muted ones left out), for the runs table's flags. */
  countsByRun: procedure.query(({ ctx }) => ctx.services.alerts.countsByRun()),
  acknowledge: procedure
    .input(z.union([z.object({ ids: z.array(z.number().int().min(1)).min(1).max(1000) }), z.object({ runId: RunId.nullable() })]))
    .mutation(({ ctx, input }) => ctx.services.alerts.acknowledge(input)),
  mute: procedure
    .input(z.object({
      runId: RunId.nullable(),
      type: z.enum([...ALERT_TYPES, "*"], { error: `One of: ${ALERT_TYPES.join(", ")}, or * for all` }),
      minutes: z.number().int().min(1, "At least a minute").max(525_600, "At most a year").nullable(),
    }))
    .mutation(({ ctx, input }) => ctx.services.alerts.mute(input)),
  unmute: procedure.input(z.object({ id: z.number().int().min(1) })).mutation(({ ctx, input }) => ctx.services.alerts.unmute(input.id)),
  mutes: procedure.input(z.object({ runId: RunId.optional() })).query(({ ctx, input }) => ctx.services.alerts.mutes(input.runId)),
  /** Metric points that rollbacks undid, drawn faintly beneath the live series. */
  superseded: procedure
    .input(z.object({ runId: RunId, maxPoints: z.number().int().min(10).max(100_000).default(2000) }))
    .query(async ({ ctx, input }) => {
      await ctx.services.runs.get(input.runId);
      return supersededHistory(ctx.services.db, input.runId, input.maxPoints);
    }),
});
