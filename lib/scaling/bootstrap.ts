import { Rng } from "../rng";
import { fitCompute, predictC, type ComputeFit, type ComputeLaw } from "./fit-compute";
import { fitParametric, lawToX, type ParametricFit, type ParametricLaw } from "./fit-nd";
import { optimalSplit, type OptimalSplit } from "./optimal";
import { MIN_POINTS_ND, type ScalingPoint } from "./points";

export interface Interval {
  lo: number;
  hi: number;
}

/** The central 95% of the values (percentile bootstrap); null when there are none. */
export function percentileInterval(values: number[], level = 0.95): Interval | null {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const at = (q: number) => {
    const i = q * (v.length - 1);
    const lo = Math.floor(i);
    return v[lo] + (v[Math.min(lo + 1, v.length - 1)] - v[lo]) * (i - lo);
  };
  return { lo: at((1 - level) / 2), hi: at(1 - (1 - level) / 2) };
}

export interface Bootstrap {
  /** Refits of L(N, D), one per resample that had five distinct runs. */
  parametric: ParametricLaw[];
  /** Refits of L(C), one per resample with two budgets or more on its frontier. */
  compute: ComputeLaw[];
  resamples: number;
}

/**
 * Resamples the runs with replacement and refits both laws on each resample, seeded so the same
 * runs give the same intervals. A resample is a multiplicity per run (a weight in the Huber sum).
 * Resamples with too few distinct runs for a law are drawn again, at most 5× the count in all.
 */
export function bootstrap(points: ScalingPoint[], full: { parametric: ParametricFit | null; compute: ComputeFit | null }, opts: { resamples?: number; seed?: number } = {}): Bootstrap {
  const resamples = opts.resamples ?? 200;
  const rng = new Rng(opts.seed ?? 1);
  const out: Bootstrap = { parametric: [], compute: [], resamples };
  const start = full.parametric ? [lawToX(full.parametric)] : [];
  for (let tries = 0; tries < 5 * resamples && (out.parametric.length < resamples || out.compute.length < resamples); tries++) {
    const weights = new Array<number>(points.length).fill(0);
    for (let i = 0; i < points.length; i++) weights[rng.int(points.length)]++;
    const chosen = points.filter((_, i) => weights[i] > 0);
    const w = weights.filter((x) => x > 0);
    if (full.parametric && out.parametric.length < resamples && chosen.length >= MIN_POINTS_ND)
      out.parametric.push(fitParametric(chosen, { weights: w, noGrid: true, extraStarts: start, maxIterations: 100 }));
    if (full.compute && out.compute.length < resamples) {
      try {
        out.compute.push(fitCompute(chosen, { weights: w, forcePure: full.compute.form === "pure", start: full.compute.form === "offset" ? full.compute : undefined }));
      } catch {
        // A resample whose frontier has a single budget says nothing about L(C): drawn again.
      }
    }
  }
  return out;
}

export type ParamIntervals = Record<keyof ParametricLaw, Interval | null>;

export function parametricIntervals(laws: ParametricLaw[]): ParamIntervals {
  const of = (k: keyof ParametricLaw) => percentileInterval(laws.map((l) => l[k]));
  return { E: of("E"), A: of("A"), B: of("B"), alpha: of("alpha"), beta: of("beta") };
}

export function computeIntervals(laws: ComputeLaw[]): { E: Interval | null; A: Interval | null; gamma: Interval | null } {
  return { E: percentileInterval(laws.map((l) => l.E)), A: percentileInterval(laws.map((l) => l.A)), gamma: percentileInterval(laws.map((l) => l.gamma)) };
}

/** The 95% band of L(C) at each compute, across the resamples. */
export function computeBand(laws: ComputeLaw[], computes: number[]): (Interval | null)[] {
  return computes.map((c) => percentileInterval(laws.map((l) => predictC(l, c))));
}

/** The optimal split at `compute` for every resample, as intervals. */
export function splitIntervals(laws: ParametricLaw[], compute: number): Record<keyof OptimalSplit, Interval | null> {
  const splits = laws.map((l) => optimalSplit(l, compute)).filter((s): s is OptimalSplit => s !== null);
  const of = (k: keyof OptimalSplit) => percentileInterval(splits.map((s) => s[k]));
  return { params: of("params"), tokens: of("tokens"), tokensPerParam: of("tokensPerParam"), loss: of("loss") };
}
