import { z } from "zod";
import { EVAL_TASKS } from "../../lib/eval/contracts";
import { CheckpointList, CompareGenerateRequest } from "../../lib/generation";
import { CheckpointCompareService } from "../services/compare/checkpoint-compare";
import type { Context } from "./init";
import { procedure, router } from "./init";

const Ref = z.object({ runId: z.string().min(1).max(64), step: z.number().int().min(0) });

// Stateless over shared services (the parsed benchmark files are cached in EvalService).
const service = ({ services }: Context) => new CheckpointCompareService(services.db, services.evals, services.generator);

/** /compare/checkpoints: scores, text and per-example changes of 2–6 checkpoints of one run or several. */
export const checkpointCompareRouter = router({
  summary: procedure.input(z.object({ checkpoints: CheckpointList })).query(({ ctx, input }) => service(ctx).summary(input.checkpoints)),
  generate: procedure.input(CompareGenerateRequest).mutation(({ ctx, input }) => service(ctx).generate(input)),
  exampleDiff: procedure
    .input(z.object({ a: Ref, b: Ref, task: z.enum(EVAL_TASKS), limit: z.number().int().min(1).max(500).default(50) }))
    .query(({ ctx, input }) => service(ctx).exampleDiff(input)),
});
