import { z } from "zod";
import { MAX_COMPARED_RUNS } from "../../lib/run-colors";
import { compareHistory, compareSummary, findRuns, latestByRun, metricKeys } from "../services/compare/compare";
import { scalingInputs } from "../services/compare/scaling-inputs";
import { procedure, router } from "./init";

const RunIds = z
  .array(z.string().min(1).max(64))
  .min(1, "Pick at least one run")
  .max(MAX_COMPARED_RUNS, `At most ${MAX_COMPARED_RUNS} runs can be compared`);
const MetricKey = z.string().min(1).max(64);

export const compareRouter = router({
  /** The runs themselves (config included), in the order asked; unknown ids come back in `missing`. */
  runs: procedure.input(z.object({ runIds: RunIds })).query(({ ctx, input }) => findRuns(ctx.services.db, input.runIds)),
  /** Best val loss, latest benchmarks, tokens seen and median throughput per run; unknown ids come back in `missing`. */
  summary: procedure.input(z.object({ runIds: RunIds })).query(({ ctx, input }) => compareSummary(ctx.services.db, input.runIds)),
  /** Every run's downsampled series for the keys, one request for the whole selection. */
  history: procedure
    .input(z.object({ runIds: RunIds, keys: z.array(MetricKey).min(1).max(50), maxPoints: z.number().int().min(10).max(100_000).default(2000) }))
    .query(({ ctx, input }) => compareHistory(ctx.services.db, input.runIds, input)),
  /** The metrics worth charting or sorting by for these runs (all runs when none are given). */
  metricKeys: procedure
    .input(z.object({ runIds: RunIds.optional() }))
    .query(async ({ ctx, input }) =>
      metricKeys(input.runIds ? (await findRuns(ctx.services.db, input.runIds)).runs : await ctx.services.runs.list())),
  /** N, D and best val loss per run, for the scaling-law panel (which fits in the browser). */
  scaling: procedure.input(z.object({ runIds: RunIds })).query(({ ctx, input }) => scalingInputs(ctx.services.db, ctx.services.outsideRuns, input.runIds)),
  /** Each run's newest value of one metric, for the runs table. */
  latest: procedure.input(z.object({ key: MetricKey })).query(({ ctx, input }) => latestByRun(ctx.services.db, input.key)),
});
