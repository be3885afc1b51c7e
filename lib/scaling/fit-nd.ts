import { huber, huberSlope } from "./huber";
import { minimizeLbfgs } from "./lbfgs";
import { MIN_POINTS_ND, pointProblems, ScalingInputError, type ScalingPoint } from "./points";

/** L(N, D) = E + A/N^α + B/D^β. */
export interface ParametricLaw {
  E: number;
  A: number;
  B: number;
  alpha: number;
  beta: number;
}

export interface ParametricFit extends ParametricLaw {
  /** The Huber objective at the optimum (sum over runs). */
  objective: number;
  /** log(observed) − log(predicted) per run, in the order given. */
  residuals: { id: string; residual: number }[];
}

export const predictND = (law: ParametricLaw, params: number, tokens: number) => law.E + law.A / params ** law.alpha + law.B / tokens ** law.beta;

/** x = [log A, log B, log E, α, β]; log L̂ = LSE(log A − α log N, log B − β log D, log E). */
type X = number[];
const toLaw = (x: X): ParametricLaw => ({ A: Math.exp(x[0]), B: Math.exp(x[1]), E: Math.exp(x[2]), alpha: x[3], beta: x[4] });

interface Logged { lN: number; lD: number; lL: number }

/** The Huber objective and its gradient, written out without allocation: the bootstrap calls it ~10⁵ times. */
function objective(data: Logged[], weights?: number[]) {
  return (x: X) => {
    let value = 0;
    let g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0;
    for (let i = 0; i < data.length; i++) {
      const w = weights ? weights[i] : 1;
      if (w === 0) continue;
      const p = data[i];
      const t0 = x[0] - x[3] * p.lN;
      const t1 = x[1] - x[4] * p.lD;
      const t2 = x[2];
      const m = Math.max(t0, t1, t2);
      const e0 = Math.exp(t0 - m), e1 = Math.exp(t1 - m), e2 = Math.exp(t2 - m);
      const sum = e0 + e1 + e2;
      const r = m + Math.log(sum) - p.lL;
      value += w * huber(r);
      const g = (w * huberSlope(r)) / sum;
      g0 += g * e0;
      g1 += g * e1;
      g2 += g * e2;
      g3 -= g * e0 * p.lN;
      g4 -= g * e1 * p.lD;
    }
    return { value, grad: [g0, g1, g2, g3, g4] };
  };
}

/**
 * Hoffmann et al.'s initialisation grid: α, β ∈ {0, 0.5, …, 2}, log E ∈ {−1, −0.5, …, 1.5},
 * log A, log B ∈ {0, 5, …, 25}. They ran L-BFGS from every grid point; this evaluates the
 * objective on all 5,400 and starts L-BFGS from the best few, which finds the same optimum at a
 * fraction of the cost (the bootstrap repeats the fit hundreds of times).
 */
const GRID: X[] = (() => {
  const out: X[] = [];
  const ab = [0, 5, 10, 15, 20, 25];
  const ex = [0, 0.5, 1, 1.5, 2];
  for (const a of ab) for (const b of ab) for (const e of [-1, -0.5, 0, 0.5, 1, 1.5]) for (const al of ex) for (const be of ex) out.push([a, b, e, al, be]);
  return out;
})();

export interface FitOptions {
  /** How many of the best grid points L-BFGS starts from. */
  starts?: number;
  /** Extra starting points (e.g. the full-data fit, for a bootstrap resample). */
  extraStarts?: X[];
  /** Per-run weights (a bootstrap resample's multiplicities); default 1 each. */
  weights?: number[];
  /** Skip the grid: start only from extraStarts (a bootstrap resample, near the full fit). */
  noGrid?: boolean;
  maxIterations?: number;
  /** Relative improvement below which L-BFGS stops (three iterations in a row). */
  fTol?: number;
}

export const lawToX = (l: ParametricLaw): X => [Math.log(l.A), Math.log(l.B), Math.log(l.E), l.alpha, l.beta];

/** Chinchilla's approach 3 on these runs; throws ScalingInputError on unusable points. */
export function fitParametric(points: ScalingPoint[], opts: FitOptions = {}): ParametricFit {
  const problems = pointProblems(points, MIN_POINTS_ND);
  if (problems.length) throw new ScalingInputError(problems);
  const data = points.map((p) => ({ lN: Math.log(p.params), lD: Math.log(p.tokens), lL: Math.log(p.loss) }));
  const f = objective(data, opts.weights);
  const ranked = opts.noGrid ? [] : GRID.map((x) => ({ x, v: f(x).value })).sort((a, b) => a.v - b.v);
  const starts = [...ranked.slice(0, opts.starts ?? 8).map((r) => r.x), ...(opts.extraStarts ?? [])];
  let best: { x: X; value: number } | null = null;
  for (const x0 of starts) {
    const r = minimizeLbfgs(f, x0, { maxIterations: opts.maxIterations ?? 1000, fTol: opts.fTol });
    if (Number.isFinite(r.value) && (!best || r.value < best.value)) best = r;
  }
  const law = toLaw(best!.x);
  return {
    ...law,
    objective: best!.value,
    residuals: points.map((p) => ({ id: p.id, residual: Math.log(p.loss) - Math.log(predictND(law, p.params, p.tokens)) })),
  };
}
