import { bootstrap, computeBand, computeIntervals, parametricIntervals, percentileInterval, splitIntervals, type Bootstrap, type Interval, type ParamIntervals } from "./bootstrap";
import { fitCompute, predictC, type ComputeFit } from "./fit-compute";
import { fitParametric, predictND, type ParametricFit } from "./fit-nd";
import { optimalSplit, type OptimalSplit } from "./optimal";
import { ScalingInputError, type ScalingPoint } from "./points";

export interface ScalingAnalysis {
  points: ScalingPoint[];
  /** Signs that the L(N, D) fit is not identified by these runs, each said plainly. */
  warnings: string[];
  parametric: { fit: ParametricFit; intervals: ParamIntervals } | { problems: string[] };
  compute: { fit: ComputeFit; intervals: ReturnType<typeof computeIntervals> } | { problems: string[] };
  boot: Bootstrap;
}

/** Both fits on the runs, with bootstrap intervals; a fit that cannot be made says why instead. */
export function analyzeScaling(points: ScalingPoint[], opts: { resamples?: number; seed?: number } = {}): ScalingAnalysis {
  let parametric: ParametricFit | null = null;
  let parametricProblems: string[] = [];
  try {
    parametric = fitParametric(points);
  } catch (e) {
    if (!(e instanceof ScalingInputError)) throw e;
    parametricProblems = e.problems;
  }
  let compute: ComputeFit | null = null;
  let computeProblem = "";
  // The points' own problems (non-finite values) stop L(C) too; too few runs for L(N, D) need not.
  const broken = parametricProblems.filter((p) => !/distinct \(N, D\)/.test(p));
  if (broken.length === 0) {
    try {
      compute = fitCompute(points);
    } catch (e) {
      computeProblem = (e as Error).message;
    }
  }
  const boot = bootstrap(points, { parametric, compute }, opts);
  return {
    points,
    warnings: parametric ? fitWarnings(parametric, points) : [],
    parametric: parametric ? { fit: parametric, intervals: parametricIntervals(boot.parametric) } : { problems: parametricProblems },
    compute: compute ? { fit: compute, intervals: computeIntervals(boot.compute) } : { problems: broken.length ? broken : [computeProblem] },
    boot,
  };
}

/** Exponents beyond this are far outside any published fit (Kaplan: ≈ 0.07–0.1, Chinchilla: ≈ 0.3). */
const MAX_EXPONENT = 2;

/**
 * A least-squares optimum always exists; these say when it means little: E run to 0 or up to the
 * best loss, an exponent at the edge, which happens when the runs vary N or D too little (a sweep
 * of tiny, under-trained models is data-limited throughout, and N's term is not seen).
 */
export function fitWarnings(fit: ParametricFit, points: ScalingPoint[]): string[] {
  const out: string[] = [];
  const best = Math.min(...points.map((p) => p.loss));
  if (fit.E < 0.01 * best) out.push(`E ran to ${fit.E.toPrecision(2)}: the irreducible loss is not identified by these runs`);
  if (fit.E > 0.99 * best) out.push(`E (${fit.E.toPrecision(3)}) is at the best loss: the runs do not reach the power-law regime`);
  for (const [name, v, what] of [["α", fit.alpha, "N"], ["β", fit.beta, "D"]] as const)
    if (!(v > 0) || v > MAX_EXPONENT) out.push(`${name} = ${v.toPrecision(3)} is outside (0, ${MAX_EXPONENT}]: the runs do not pin down how the loss falls with ${what}`);
  return out;
}

/** How far a value lies outside [min, max] of the runs, as a factor; 1 inside. */
const outside = (x: number, xs: number[]) => Math.max(Math.min(...xs) / x, x / Math.max(...xs), 1);

export interface Extrapolation {
  compute: number;
  /** L(C*) from the compute law, with its bootstrap interval. */
  computeLoss: { value: number; interval: Interval | null } | null;
  /** The compute-optimal split from L(N, D), each quantity with its interval. */
  optimal: { value: OptimalSplit; intervals: ReturnType<typeof splitIntervals> } | null;
  /** The optimal N and D as factors beyond the runs' range (1 = within). */
  beyond: { params: number; tokens: number } | null;
}

export function extrapolate(a: ScalingAnalysis, compute: number): Extrapolation {
  const c = "fit" in a.compute ? a.compute.fit : null;
  const p = "fit" in a.parametric ? a.parametric.fit : null;
  const split = p ? optimalSplit(p, compute) : null;
  return {
    compute,
    computeLoss: c ? { value: predictC(c, compute), interval: percentileInterval(a.boot.compute.map((l) => predictC(l, compute))) } : null,
    optimal: split ? { value: split, intervals: splitIntervals(a.boot.parametric, compute) } : null,
    beyond: split ? { params: outside(split.params, a.points.map((q) => q.params)), tokens: outside(split.tokens, a.points.map((q) => q.tokens)) } : null,
  };
}

/** log-spaced computes from lo to hi, for drawing the law and its band. */
export function computeGrid(lo: number, hi: number, n = 40): number[] {
  const a = Math.log(lo);
  const b = Math.log(hi);
  return Array.from({ length: n }, (_, i) => Math.exp(a + ((b - a) * i) / (n - 1)));
}

export function lawCurve(a: ScalingAnalysis, computes: number[]) {
  if (!("fit" in a.compute)) return null;
  const fit = a.compute.fit;
  return { line: computes.map((c) => predictC(fit, c)), band: computeBand(a.boot.compute, computes) };
}

export { predictND };
