import { huber, huberSlope } from "./huber";
import { minimizeLbfgs } from "./lbfgs";
import { computeOf, type ScalingPoint } from "./points";

/** L(C) = E + A·C^(−γ); E = 0 is the pure power law. */
export interface ComputeLaw {
  E: number;
  A: number;
  gamma: number;
  /** "offset": E was fitted; "pure": E = 0, because it was not identifiable from these runs. */
  form: "offset" | "pure";
}

export interface ComputeFit extends ComputeLaw {
  /** The runs on the compute frontier the law was fitted to. */
  frontier: { id: string; compute: number; loss: number }[];
  /** Why the pure power law was used, when it was. */
  note: string | null;
}

export const predictC = (law: Pick<ComputeLaw, "E" | "A" | "gamma">, compute: number) => law.E + law.A * compute ** -law.gamma;

/** Runs whose compute is within this factor of a group's smallest are one budget (an IsoFLOP group). */
const SAME_BUDGET = 1.05;

/**
 * L(C) describes the best loss a budget buys (Kaplan et al. 2020's compute frontier), not every
 * run's: the runs are grouped into budgets, each budget keeps its lowest loss, and a budget is
 * kept only if it beats every smaller one.
 */
export function computeFrontier(points: ScalingPoint[], weights?: number[]): { id: string; compute: number; loss: number; weight: number }[] {
  const sorted = points.map((p, i) => ({ id: p.id, compute: computeOf(p), loss: p.loss, weight: weights ? weights[i] : 1 }))
    .filter((p) => p.weight > 0).sort((a, b) => a.compute - b.compute);
  const groups: (typeof sorted)[] = [];
  for (const p of sorted) {
    const g = groups[groups.length - 1];
    if (g && p.compute <= g[0].compute * SAME_BUDGET) g.push(p);
    else groups.push([p]);
  }
  const out: typeof sorted = [];
  for (const g of groups) {
    const best = g.reduce((a, b) => (b.loss < a.loss ? b : a));
    if (out.length === 0 || best.loss < out[out.length - 1].loss) out.push(best);
  }
  return out;
}

/** At least this many budgets on the frontier to fit E besides A and γ. */
const MIN_FOR_OFFSET = 4;

function fitOffset(lC: number[], lL: number[], w: number[], start: number[][], maxIterations: number) {
  const f = (x: number[]) => {
    let value = 0;
    let g0 = 0, g1 = 0, g2 = 0;
    for (let i = 0; i < lC.length; i++) {
      const t0 = x[0] - x[2] * lC[i];
      const m = Math.max(t0, x[1]);
      const e0 = Math.exp(t0 - m), e1 = Math.exp(x[1] - m);
      const r = m + Math.log(e0 + e1) - lL[i];
      value += w[i] * huber(r);
      const g = (w[i] * huberSlope(r)) / (e0 + e1);
      g0 += g * e0;
      g1 += g * e1;
      g2 -= g * e0 * lC[i];
    }
    return { value, grad: [g0, g1, g2] };
  };
  let best = { x: start[0], value: Infinity };
  for (const x0 of start) {
    const r = minimizeLbfgs(f, x0, { maxIterations });
    if (r.value < best.value) best = r;
  }
  return best.x;
}

/** Pure power law: log L = log A − γ log C, with the same Huber loss. */
function fitPure(lC: number[], lL: number[], w: number[]) {
  const f = (x: number[]) => {
    let value = 0;
    const grad = [0, 0];
    lC.forEach((c, i) => {
      const r = x[0] - x[1] * c - lL[i];
      value += w[i] * huber(r);
      const g = w[i] * huberSlope(r);
      grad[0] += g;
      grad[1] -= g * c;
    });
    return { value, grad };
  };
  // Least squares as the start: the Huber optimum is near it.
  const W = w.reduce((a, b) => a + b, 0);
  const mc = lC.reduce((s, c, i) => s + w[i] * c, 0) / W;
  const ml = lL.reduce((s, l, i) => s + w[i] * l, 0) / W;
  const cov = lC.reduce((s, c, i) => s + w[i] * (c - mc) * (lL[i] - ml), 0);
  const v = lC.reduce((s, c, i) => s + w[i] * (c - mc) ** 2, 0);
  const slope = v > 0 ? cov / v : 0;
  return minimizeLbfgs(f, [ml - slope * mc, -slope], { maxIterations: 200 }).x;
}

/** Fits L(C) on the compute frontier; throws with a reason when fewer than two budgets are on it. */
export function fitCompute(points: ScalingPoint[], opts: { weights?: number[]; forcePure?: boolean; start?: ComputeLaw } = {}): ComputeFit {
  const frontier = computeFrontier(points, opts.weights);
  if (frontier.length < 2) throw new Error(`L(C) needs runs at two or more compute budgets where the larger one reaches a lower loss; ${frontier.length} found`);
  const lC = frontier.map((p) => Math.log(p.compute));
  const lL = frontier.map((p) => Math.log(p.loss));
  const w = frontier.map((p) => p.weight);
  const minLoss = Math.min(...frontier.map((p) => p.loss));
  const pure = fitPure(lC, lL, w);
  const pureLaw: ComputeLaw = { E: 0, A: Math.exp(pure[0]), gamma: pure[1], form: "pure" };
  const out = (law: ComputeLaw, note: string | null): ComputeFit => ({ ...law, frontier: frontier.map(({ id, compute, loss }) => ({ id, compute, loss })), note });
  if (opts.forcePure) return out(pureLaw, "pure power law asked for");
  if (frontier.length < MIN_FOR_OFFSET) return out(pureLaw, `${frontier.length} budgets on the frontier; fitting E as well needs ${MIN_FOR_OFFSET}`);
  // Starts: E a share of the best loss, A and γ from the pure law's slope steepened to make room for E.
  const mc = lC.reduce((a, b) => a + b, 0) / lC.length;
  const ml = lL.reduce((a, b) => a + b, 0) / lL.length;
  const starts = opts.start ? [[Math.log(opts.start.A), Math.log(opts.start.E), opts.start.gamma]] : [0.25, 0.5, 0.75, 0.9].flatMap((share) => [1, 2, 4].map((k) => {
    const gamma = Math.max(pure[1], 1e-3) * k;
    return [Math.log(Math.exp(ml) - share * minLoss) + gamma * mc, Math.log(share * minLoss), gamma];
  }));
  const x = fitOffset(lC, lL, w, starts, opts.start ? 100 : 1000);
  const law: ComputeLaw = { A: Math.exp(x[0]), E: Math.exp(x[1]), gamma: x[2], form: "offset" };
  // E at the edge of the data (near 0, or up against the best loss) is the fit running off: not identified.
  if (!(law.gamma > 0) || law.E < 0.01 * minLoss || law.E > 0.99 * minLoss)
    return out(pureLaw, `E is not identifiable from these runs (the fit put it at ${law.E.toPrecision(3)} against a best loss of ${minLoss.toPrecision(3)})`);
  return out(law, null);
}
