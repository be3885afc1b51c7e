import { z } from "zod";
import { paramCount, tokensPerStep } from "../estimates";
import { RunConfigFields, type RunConfig } from "../run-config";

/** A sweep's name becomes its project "sweep-<name>": lowercase, digits, '-', '_' or '.'. */
export const SWEEP_NAME = /^[a-z0-9][a-z0-9._-]{0,39}$/;
export const MAX_BUDGETS = 8;
export const MAX_SIZES = 8;

const shape = RunConfigFields.shape;
export const SweepSize = z.object({
  nLayer: shape.nLayer.unwrap(),
  dModel: shape.dModel.unwrap(),
  /** Heads; default: the base config's head width kept (dModel / that width). */
  nHead: shape.nHead.unwrap().optional(),
});
export type SweepSize = z.infer<typeof SweepSize>;

export const SweepLimits = z.object({
  /** Fewer steps than this is too short to train and evaluate meaningfully. */
  minSteps: z.number().int().min(1).max(1_000_000).default(50),
  /** More steps than this is beyond what a sweep on this machine should queue. */
  maxSteps: z.number().int().min(1).max(10_000_000).default(200_000),
});

export const SweepGrid = z.object({
  budgets: z.array(z.number({ error: "A budget is a number of FLOPs" }).min(1e6, "A budget is at least 1e6 FLOPs").max(1e24, "A budget is at most 1e24 FLOPs"))
    .min(1, "Give at least one compute budget").max(MAX_BUDGETS, `At most ${MAX_BUDGETS} budgets`)
    .refine((b) => new Set(b).size === b.length, "Each budget once"),
  sizes: z.array(SweepSize).min(1, "Give at least one model size").max(MAX_SIZES, `At most ${MAX_SIZES} sizes`)
    .refine((s) => new Set(s.map((x) => `${x.nLayer}x${x.dModel}`)).size === s.length, "Each (layers, width) once"),
}).extend(SweepLimits.shape);
export type SweepGrid = z.input<typeof SweepGrid>;

export interface SweepCell {
  budget: number;
  nLayer: number;
  dModel: number;
  nHead: number;
  /** N, every parameter (lib/estimates paramCount). */
  params: number;
  steps: number;
  /** D = steps × batch × context. */
  tokens: number;
  /** 6·N·D actually planned; steps are whole, so it differs a little from the budget. */
  compute: number;
  tokensPerParam: number;
  /** Why this cell is not run; null when it is. */
  skip: string | null;
}

/** Heads for a width: the base config's head width kept where it divides, else the base head count where that divides, else 1. */
function headsFor(size: SweepSize, base: Pick<RunConfig, "nHead" | "dModel" | "arch">): number | string {
  if (size.nHead !== undefined) return size.dModel % size.nHead === 0 ? size.nHead : `width ${size.dModel} is not divisible by ${size.nHead} heads`;
  const headWidth = base.dModel / base.nHead;
  const h = Math.round(size.dModel / headWidth);
  for (const cand of [h, base.nHead, 1]) if (cand >= 1 && cand <= 32 && size.dModel % cand === 0 && (base.arch !== "llama" || (size.dModel / cand) % 2 === 0)) return cand;
  return `no head count divides width ${size.dModel}`;
}

/**
 * Every budget × size: steps = round(C / (6·N·batch·context)), so that 6·N·D ≈ C with
 * D = steps × batch × context. A cell is skipped, with the reason, when its steps fall outside
 * [minSteps, maxSteps].
 */
export function planSweep(grid: z.infer<typeof SweepGrid>, base: RunConfig, vocabSize: number): SweepCell[] {
  const perStep = tokensPerStep(base);
  const cells: SweepCell[] = [];
  for (const budget of grid.budgets) {
    for (const size of grid.sizes) {
      const heads = headsFor(size, base);
      const nHead = typeof heads === "number" ? heads : 0;
      const params = paramCount({ arch: base.arch, nLayer: size.nLayer, dModel: size.dModel, contextLength: base.contextLength, vocabSize });
      const steps = Math.round(budget / (6 * params * perStep));
      const tokens = steps * perStep;
      let skip: string | null = typeof heads === "string" ? heads : null;
      if (!skip && steps < grid.minSteps) skip = `${steps} steps, fewer than ${grid.minSteps}: the budget is too small for this model`;
      if (!skip && steps > grid.maxSteps) skip = `${steps.toLocaleString("en-US")} steps, more than ${grid.maxSteps.toLocaleString("en-US")}: the budget is too large for this model`;
      cells.push({ budget, nLayer: size.nLayer, dModel: size.dModel, nHead, params, steps, tokens, compute: 6 * params * tokens, tokensPerParam: tokens / params, skip });
    }
  }
  return cells;
}

/** "1e15", "2.5e15": the budget as a label and a name part (no '+', which labels allow but names read worse with). */
export const budgetLabel = (c: number) => Number(c.toPrecision(3)).toExponential().replace("e+", "e");

export const countLabel = (x: number) => {
  const units: [number, string][] = [[1e9, "B"], [1e6, "M"], [1e3, "K"]];
  const [div, unit] = units.find(([d]) => x >= d) ?? [1, ""];
  return `${Number((x / div).toPrecision(3))}${unit}`;
};

/** The config of one cell: the base with this size and length; warmup shortened to a tenth of a short run; no batch ramp, so D is exact. */
export function cellConfig(base: RunConfig, cell: SweepCell, sweepName: string): RunConfig {
  return {
    ...base,
    name: `${sweepName} C=${budgetLabel(cell.budget)} N=${countLabel(cell.params)}`,
    nLayer: cell.nLayer, dModel: cell.dModel, nHead: cell.nHead, steps: cell.steps,
    warmupSteps: Math.min(base.warmupSteps, Math.floor(cell.steps / 10)),
    batchRampStart: 0, batchRampTokens: 0,
    initFrom: null,
  };
}

export const sweepProject = (name: string) => `sweep-${name}`;
export const cellLabels = (cell: SweepCell) => [`C:${budgetLabel(cell.budget)}`, `N:${countLabel(cell.params)}`, "isoflop"];
