import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import { flopsPerToken } from "../../../lib/estimates";
import type { RunConfig } from "../../../lib/run-config";
import { cellConfig, cellLabels, planSweep, sweepProject, type SweepCell } from "../../../lib/scaling/sweep";
import type { SweepInput as SweepInputSchema } from "../../../lib/scaling/sweep-input";
import type { Db } from "../../db/db";
import type { BackendService } from "../cli/backends";
import type { EvalService } from "../evals/evals";
import type { RunAdmin } from "./run-admin";
import type { RunChecks } from "./run-checks";
import type { RunService } from "./runs";

type Parsed = z.infer<typeof SweepInputSchema>;

export interface SweepPlan {
  project: string;
  vocabSize: number;
  cells: (SweepCell & { seconds: number | null })[];
  /** The run the time estimate scales from, when one measured its throughput. */
  timeFrom: string | null;
  totalSeconds: number | null;
}

/** An IsoFLOP sweep: one run per budget × size, created through run.create's own checks. */
export class SweepService {
  constructor(
    private db: Db,
    private runs: RunService,
    private checks: RunChecks,
    private admin: RunAdmin,
    private evals: EvalService,
    private backends: BackendService,
  ) {}

  private async base(input: Parsed): Promise<RunConfig> {
    // Name, steps and warmup are placeholders the cells replace; the rest is checked as run.create checks it.
    return this.checks.parse({ ...input.base, faults: [], name: input.name, steps: Math.max(2, Number(input.base.warmupSteps ?? 30) + 1) });
  }

  async plan(input: Parsed): Promise<SweepPlan> {
    const base = await this.base(input);
    const { vocabSize } = await this.checks.dataset(base.dataset);
    const cells = planSweep(input, base, vocabSize);
    // Seconds from the newest run that measured its speed, scaled by FLOPs per token as the new-run form does.
    const measured = await this.db.run.findFirst({ where: { tokensPerSec: { not: null }, paramCount: { not: null }, source: "trainer" }, orderBy: { createdAt: "desc" } });
    let rate: number | null = null;
    if (measured) {
      const c = JSON.parse(measured.config) as RunConfig;
      rate = measured.tokensPerSec! * (6 * measured.paramCount! + 12 * c.nLayer * c.dModel * c.contextLength);
    }
    const timed = cells.map((cell) => ({
      ...cell,
      seconds: rate ? (flopsPerToken({ arch: base.arch, nLayer: cell.nLayer, dModel: cell.dModel, contextLength: base.contextLength, vocabSize }) * cell.tokens) / rate : null,
    }));
    const run = timed.filter((c) => !c.skip);
    return {
      project: sweepProject(input.name), vocabSize, cells: timed,
      timeFrom: measured?.name ?? null,
      totalSeconds: rate ? run.reduce((s, c) => s + c.seconds!, 0) : null,
    };
  }

  async create(input: Parsed): Promise<{ project: string; runIds: string[]; skipped: { cell: SweepCell; reason: string }[] }> {
    const plan = await this.plan(input);
    const taken = await this.db.run.count({ where: { project: plan.project } });
    if (taken > 0) throw new TRPCError({ code: "CONFLICT", message: `Project ${plan.project} already has ${taken} runs; give the sweep another name` });
    const runnable = plan.cells.filter((c) => !c.skip);
    if (runnable.length === 0)
      throw new TRPCError({ code: "BAD_REQUEST", message: `No cell of the grid can run: ${plan.cells.map((c) => c.skip).join("; ")}` });
    const base = await this.base(input);
    // Every config is checked before any run exists, so a refusal creates nothing.
    const configs: RunConfig[] = [];
    for (const cell of runnable) {
      const config = await this.checks.parse(cellConfig(base, cell, input.name)).catch((e: Error) => {
        throw new TRPCError({ code: "BAD_REQUEST", message: `${cell.nLayer}×${cell.dModel} at ${cell.budget.toExponential(1)} FLOPs: ${e.message}` });
      });
      await this.evals.checkRunEvals(config.evals);
      await this.backends.check(config);
      configs.push(config);
    }
    const runIds: string[] = [];
    for (let i = 0; i < configs.length; i++) {
      const run = await this.runs.create(configs[i]);
      await this.admin.annotate(run.id, { project: plan.project, labels: cellLabels(runnable[i]) });
      runIds.push(run.id);
    }
    return { project: plan.project, runIds, skipped: plan.cells.filter((c) => c.skip).map((cell) => ({ cell, reason: cell.skip! })) };
  }
}
