import { z } from "zod";
import { Exclusion } from "../../lib/exclusion";
import { ForensicsRequest } from "../../lib/forensics";
import { checkFaults } from "../services/runs/faults";
import { forkWithExclusion } from "../services/runs/forensics";
import { procedure, router } from "./init";

export const forensicsRouter = router({
  /** Starts (or polls) the rebuild of a step's batch; answers `running` with its progress until it is `done`. */
  batch: procedure.input(ForensicsRequest).mutation(({ ctx, input }) => ctx.services.forensics.batch(input.runId, input.step)),
  /** A new run that goes on from the last checkpoint at or before `step`, without the excluded data. */
  fork: procedure
    .input(ForensicsRequest.extend({ exclude: Exclusion, name: z.string().trim().min(1).max(100).optional() }))
    .mutation(async ({ ctx, input }) => {
      const parent = await ctx.services.runs.get(input.runId);
      ctx.services.forensics.checkExclusion(parent, input.exclude);
      const from = await ctx.services.forensics.checkpointAtOrBefore(input.runId, input.step);
      const config = await ctx.services.runChecks.parse(forkWithExclusion(parent, from, input.exclude, input.name));
      checkFaults(config.faults, ctx.services.faultInjection);
      await ctx.services.evals.checkRunEvals(config.evals);
      await ctx.services.backends.check(config);
      return ctx.services.runs.create(config);
    }),
});
