import type { RunConfig } from "./run-config";

export interface LrSchedule {
  lr: number;
  minLr: number;
  warmupSteps: number;
  steps: number;
}

/** Linear warmup: the first update already moves; the last warmup update uses exactly lr. */
const warmup = (step: number, s: LrSchedule) => (s.lr * (step + 1)) / s.warmupSteps;

/**
 * Cosine learning rate for the update that takes the model from `step` to `step + 1` (0-based):
 *
 * - warmup, step < warmupSteps:  lr * (step + 1) / warmupSteps
 * - decay, warmupSteps <= step <= steps:
 *   p = (step - warmupSteps) / (steps - warmupSteps)
 *   minLr + 0.5 * (1 + cos(pi * p)) * (lr - minLr)     (lr at p = 0, minLr at p = 1)
 * - after the run, step > steps: minLr
 */
export function lrAt(step: number, s: LrSchedule): number {
  if (step < s.warmupSteps) return warmup(step, s);
  if (step >= s.steps) return s.minLr;
  const p = (step - s.warmupSteps) / (s.steps - s.warmupSteps);
  return s.minLr + 0.5 * (1 + Math.cos(Math.PI * p)) * (s.lr - s.minLr);
}

export interface StepDecay extends LrSchedule {
  decayEvery: number;
  decayFactor: number;
}

/** Warmup, then lr · decayFactor^floor((step − warmupSteps) / decayEvery), never below minLr. */
export function stepLrAt(step: number, s: StepDecay): number {
  if (step < s.warmupSteps) return warmup(step, s);
  return Math.max(s.minLr, s.lr * s.decayFactor ** Math.floor((step - s.warmupSteps) / s.decayEvery));
}

export interface PlateauDecay extends LrSchedule {
  plateauPatience: number;
  plateauFactor: number;
}

/** Plain JSON, saved in checkpoints. */
export interface PlateauState {
  /** Lowest val loss seen (null before any finite one). */
  best: number | null;
  /** Evals since the last improvement or cut. */
  bad: number;
  cuts: number;
  /** Step of the last eval observed, and of the eval that made the last cut. */
  lastEval: number | null;
  lastCut: number | null;
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isStepOrNull = (v: unknown) => v === null || isCount(v);

/**
 * Reduce on plateau: warmup, then lr · plateauFactor^cuts, never below minLr. A cut happens when
 * plateauPatience consecutive evals fail to beat the best val loss (NaN never does).
 *
 * The trainer asks for step s's lr before it evaluates at step s, so a cut made by the eval at
 * step e applies from step e + 1. A checkpoint at step s is written after that eval; on resume
 * lrAt(s) must still exclude its cut, and the eval it repeats at s must not count twice.
 */
export class PlateauSchedule {
  private state: PlateauState = { best: null, bad: 0, cuts: 0, lastEval: null, lastCut: null };

  constructor(private readonly s: PlateauDecay) {}

  lrAt(step: number): number {
    if (step < this.s.warmupSteps) return warmup(step, this.s);
    const { cuts, lastCut } = this.state;
    const applied = lastCut !== null && lastCut >= step ? cuts - 1 : cuts;
    return Math.max(this.s.minLr, this.s.lr * this.s.plateauFactor ** applied);
  }

  observe(step: number, valLoss: number): void {
    const st = this.state;
    if (st.lastEval !== null && step <= st.lastEval) return;
    st.lastEval = step;
    if (valLoss < (st.best ?? Infinity)) {
      st.best = valLoss;
      st.bad = 0;
      return;
    }
    if (++st.bad >= this.s.plateauPatience) {
      st.cuts++;
      st.bad = 0;
      st.lastCut = step;
    }
  }

  getState(): PlateauState {
    return { ...this.state };
  }

  setState(state: unknown): void {
    const s = state as Partial<PlateauState> | null;
    const ok =
      s !== null && typeof s === "object" && (s.best === null || Number.isFinite(s.best)) &&
      isCount(s.bad) && isCount(s.cuts) && isStepOrNull(s.lastEval) && isStepOrNull(s.lastCut);
    if (!ok) throw new Error(`schedule state ${JSON.stringify(state)} is not a plateau schedule state`);
    this.state = { best: s.best!, bad: s.bad!, cuts: s.cuts!, lastEval: s.lastEval!, lastCut: s.lastCut! };
  }
}

/** What the trainer drives: the lr per step, fed the val losses of its evals; its state is checkpointed. */
export interface Schedule {
  lrAt(step: number): number;
  observe(step: number, valLoss: number): void;
  /** Plain JSON; null for the stateless schedules. */
  getState(): unknown;
  setState(state: unknown): void;
}

export type ScheduleConfig = Pick<
  RunConfig,
  "schedule" | "lr" | "minLr" | "warmupSteps" | "steps" | "decayEvery" | "decayFactor" | "plateauPatience" | "plateauFactor"
>;

/** Stateless: a checkpoint's schedule state (even another schedule's) does not change them. */
const stateless = (lr: (step: number) => number): Schedule => ({ lrAt: lr, observe: () => {}, getState: () => null, setState: () => {} });

export function createSchedule(c: ScheduleConfig): Schedule {
  switch (c.schedule) {
    case "cosine":
      return stateless((step) => lrAt(step, c));
    case "step":
      return stateless((step) => stepLrAt(step, c));
    case "plateau":
      return new PlateauSchedule(c);
  }
}

export type BatchRamp = Pick<RunConfig, "batchSize" | "microBatchSize" | "batchRampStart" | "batchRampTokens">;

/**
 * Sequences in the step after `tokensSeen` training tokens: batchRampStart growing linearly to
 * batchSize over batchRampTokens, rounded down to a whole number of micro-batches (at least one).
 * Without a ramp, always batchSize.
 */
export function batchSizeAt(tokensSeen: number, c: BatchRamp): number {
  if (c.batchRampStart <= 0) return c.batchSize;
  const unit = c.microBatchSize > 0 ? c.microBatchSize : 1;
  const frac = c.batchRampTokens > 0 ? Math.min(1, tokensSeen / c.batchRampTokens) : 1;
  const raw = c.batchRampStart + (c.batchSize - c.batchRampStart) * frac;
  return Math.max(unit, Math.floor(raw / unit) * unit);
}
