import type { inferRouterOutputs } from "@trpc/server";
import { z } from "zod";
import { DatasetSpec } from "../../lib/dataset-spec";
import { EVAL_TASKS } from "../../lib/eval/contracts";
import { ExportRequest, GenerateRequest } from "../../lib/generation";
import { RunAnnotation } from "../../lib/run-annotation";
import { RunConfig, type RunConfigInput } from "../../lib/run-config";
import { runMetricKeys } from "../services/metrics/metric-keys";
import { checkFaults } from "../services/runs/faults";
import { alertRouter } from "./alert-router";
import { apiKeyRouter, authRouter, userRouter } from "./auth-router";
import { checkpointCompareRouter } from "./checkpoint-compare-router";
import { compareRouter } from "./compare-router";
import { forensicsRouter } from "./forensics-router";
import { createCallerFactory, procedure, router } from "./init";
import { outsideRouter } from "./outside-router";
import { serverRouter } from "./server-router";
import { sweepRouter } from "./sweep-router";
import { tensorboardRouter } from "./tensorboard-router";
import { webhookRouter } from "./webhook-router";
import { workerRouter } from "./worker-router";

const RunId = z.object({ id: z.string().min(1).max(64) });

export const appRouter = router({
  auth: authRouter,
  user: userRouter,
  apiKey: apiKeyRouter,
  alert: alertRouter,
  checkpointCompare: checkpointCompareRouter,
  compare: compareRouter,
  sweep: sweepRouter,
  webhook: webhookRouter,
  server: serverRouter,
  worker: workerRouter,
  tensorboard: tensorboardRouter,
  forensics: forensicsRouter,
  outside: outsideRouter,
  run: router({
    list: procedure.query(({ ctx }) => ctx.services.runs.list()),
    get: procedure.input(RunId).query(({ ctx, input }) => ctx.services.runs.get(input.id)),
    // Parsed by runChecks, so the schema's issues and the checks that need the database come in one answer.
    create: procedure.input(z.custom<RunConfigInput>()).mutation(async ({ ctx, input: raw }) => {
      const input = await ctx.services.runChecks.parse(raw);
      checkFaults(input.faults, ctx.services.faultInjection);
      await ctx.services.evals.checkRunEvals(input.evals);
      await ctx.services.backends.check(input);
      return ctx.services.runs.create(input);
    }),
    stop: procedure.input(RunId).mutation(({ ctx, input }) => ctx.services.runs.stop(input.id)),
    resume: procedure
      // step: resume from that checkpoint rather than the newest; the later ones are set aside.
      .input(RunId.extend({ fromScratch: z.boolean().optional(), step: z.number().int().min(0).max(1e9).optional() }))
      .mutation(({ ctx, input }) => ctx.services.runs.resume(input.id, { fromScratch: input.fromScratch, step: input.step })),
    forks: procedure.input(RunId).query(({ ctx, input }) => ctx.services.runs.forks(input.id)),
    /** Rename, notes, labels, project, star, archive. */
    annotate: procedure.input(RunId.extend({ change: RunAnnotation })).mutation(({ ctx, input }) => ctx.services.runAdmin.annotate(input.id, input.change)),
    /** Deletes an ended run with its files (refused while it runs or has forks). */
    delete: procedure.input(RunId.extend({ confirm: z.literal(true, { error: "Deleting a run needs confirm: true" }) })).mutation(({ ctx, input }) => ctx.services.runAdmin.delete(input.id)),
    /** The trainer's log from a byte offset, for the run page's live log view. */
    log: procedure
      .input(RunId.extend({ from: z.number().int().min(0).default(0), maxBytes: z.number().int().min(1).max(1_000_000).default(256_000) }))
      .query(({ ctx, input }) => ctx.services.runAdmin.logSlice(input.id, input.from, input.maxBytes)),
    /** Labels and projects in use, with how many runs each. */
    vocabulary: procedure.query(({ ctx }) => ctx.services.runAdmin.vocabulary()),
  }),
  /** Which backends start on this machine and which one auto takes (probed once per server). */
  backends: procedure.query(({ ctx }) => ctx.services.backends.report()),
  metric: router({
    history: procedure
      .input(
        z.object({
          runId: z.string().min(1).max(64),
          keys: z.array(z.string().min(1).max(64)).max(50).optional(),
          // Up to every point of a long run: the charts' naive baseline in bench/chart-browser.ts asks for all.
          maxPoints: z.number().int().min(10).max(10_000_000).default(2000),
        }),
      )
      .query(async ({ ctx, input }) => {
        await ctx.services.runs.get(input.runId);
        return ctx.services.metricReader.history(input.runId, input);
      }),
    /** The keys a run has logged, each with its step extent, and the wall time of its first point. */
    keys: procedure
      .input(z.object({ runId: z.string().min(1).max(64) }))
      .query(async ({ ctx, input }) => {
        await ctx.services.runs.get(input.runId);
        return runMetricKeys(ctx.services.db, input.runId);
      }),
    range: procedure
      .input(
        z
          .object({
            runId: z.string().min(1).max(64),
            keys: z.array(z.string().min(1).max(64)).min(1).max(50),
            buckets: z.number().int().min(10).max(5000).default(1000),
            /** "step": the window is fromStep..toStep; "wallTime": fromTime..toTime, seconds since the epoch. */
            xAxis: z.enum(["step", "wallTime"]).default("step"),
            fromStep: z.number().int().min(0).optional(),
            toStep: z.number().int().min(0).optional(),
            fromTime: z.number().optional(),
            toTime: z.number().optional(),
          })
          .refine((x) => x.xAxis === "wallTime" || (x.fromTime === undefined && x.toTime === undefined), {
            message: 'fromTime and toTime need xAxis "wallTime"', path: ["xAxis"],
          })
          .refine((x) => x.xAxis === "step" || (x.fromStep === undefined && x.toStep === undefined), {
            message: 'fromStep and toStep need xAxis "step"', path: ["xAxis"],
          })
          .refine((x) => (x.fromStep ?? 0) <= (x.toStep ?? Infinity) && (x.fromTime ?? -Infinity) <= (x.toTime ?? Infinity), {
            message: "the window ends before it starts", path: ["toStep"],
          }),
      )
      .query(async ({ ctx, input }) => {
        await ctx.services.runs.get(input.runId);
        return ctx.services.metricReader.range(input.runId, input);
      }),
  }),
  evalSet: router({
    list: procedure.query(({ ctx }) => ctx.services.evals.listSets()),
    register: procedure
      .input(
        z.object({
          task: z.enum(EVAL_TASKS),
          name: z.string().trim().min(1).max(200),
          path: z.string().min(1).max(4096).optional(),
          content: z.string().max(60_000_000).optional(),
        }).refine((x) => Boolean(x.path) !== (x.content !== undefined), { message: "Give either a path or an upload", path: ["path"] }),
      )
      .mutation(({ ctx, input }) => ctx.services.evals.register(input)),
    predictions: procedure
      .input(z.object({ runId: z.string().min(1).max(64), task: z.enum(EVAL_TASKS), step: z.number().int().min(0) }))
      .query(({ ctx, input }) => ctx.services.evals.predictions(input.runId, input.task, input.step)),
  }),
  dataset: router({
    list: procedure.query(({ ctx }) => ctx.services.datasets.list()),
    get: procedure.input(RunId).query(({ ctx, input }) => ctx.services.datasets.get(input.id)),
    prepare: procedure.input(DatasetSpec).mutation(({ ctx, input }) => ctx.services.datasets.prepare(input)),
    cancel: procedure.input(RunId).mutation(({ ctx, input }) => ctx.services.datasets.cancel(input.id)),
    flagged: procedure
      .input(z.object({ id: z.string().min(1).max(64), limit: z.number().int().min(1).max(500).default(50) }))
      .query(({ ctx, input }) => ctx.services.datasets.flagged(input.id, input.limit)),
  }),
  checkpoint: router({
    list: procedure
      .input(z.object({ runId: z.string().min(1).max(64) }))
      .query(({ ctx, input }) => ctx.services.runs.checkpoints(input.runId)),
    export: procedure.input(ExportRequest).mutation(({ ctx, input }) => ctx.services.exporter.export(input)),
    generate: procedure.input(GenerateRequest).mutation(({ ctx, input }) => ctx.services.generator.generate(input)),
  }),
});

export type AppRouter = typeof appRouter;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export const createCaller = createCallerFactory(appRouter);
export type Caller = ReturnType<typeof createCaller>;
