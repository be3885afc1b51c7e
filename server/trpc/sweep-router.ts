import { SweepInput } from "../../lib/scaling/sweep-input";
import { procedure, router } from "./init";

export const sweepRouter = router({
  /** The grid as it would run: each cell's N, D, steps, tokens per parameter and time, or why it is skipped. Creates nothing. */
  plan: procedure.input(SweepInput).query(({ ctx, input }) => ctx.services.sweeps.plan(input)),
  /** Creates the grid's runs (queued under the trainer cap), filed under project sweep-<name> with C: and N: labels. */
  create: procedure.input(SweepInput).mutation(({ ctx, input }) => ctx.services.sweeps.create(input)),
});
