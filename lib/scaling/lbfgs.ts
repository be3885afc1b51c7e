/** An objective with its gradient at x. */
export type Objective = (x: number[]) => { value: number; grad: number[] };

export interface MinimizeResult {
  x: number[];
  value: number;
  iterations: number;
  /** Why it stopped: the gradient or the step became negligible, or the iteration cap. */
  reason: "gradient" | "no-progress" | "max-iterations";
}

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

/**
 * Limited-memory BFGS (Nocedal & Wright, algorithm 7.4: the two-loop recursion) with a
 * backtracking Armijo line search. A pair (s, y) with too little curvature is not stored, so the
 * inverse-Hessian estimate stays positive definite on non-smooth stretches (a Huber kink).
 */
export function minimizeLbfgs(f: Objective, x0: number[], opts: { memory?: number; maxIterations?: number; gradTol?: number; fTol?: number } = {}): MinimizeResult {
  const m = opts.memory ?? 10;
  const maxIt = opts.maxIterations ?? 500;
  const gradTol = opts.gradTol ?? 1e-10;
  let x = x0.slice();
  let cur = f(x);
  if (!Number.isFinite(cur.value)) return { x, value: cur.value, iterations: 0, reason: "no-progress" };
  const S: number[][] = [];
  const Y: number[][] = [];
  let stalls = 0;
  for (let it = 0; it < maxIt; it++) {
    const g = cur.grad;
    if (Math.sqrt(dot(g, g)) < gradTol) return { x, value: cur.value, iterations: it, reason: "gradient" };
    // Two-loop recursion: d = −H·g.
    const q = g.slice();
    const alphas: number[] = [];
    for (let i = S.length - 1; i >= 0; i--) {
      const a = dot(S[i], q) / dot(Y[i], S[i]);
      alphas[i] = a;
      for (let j = 0; j < q.length; j++) q[j] -= a * Y[i][j];
    }
    const gamma = S.length ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1]) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let j = 0; j < q.length; j++) q[j] *= gamma;
    for (let i = 0; i < S.length; i++) {
      const b = dot(Y[i], q) / dot(Y[i], S[i]);
      for (let j = 0; j < q.length; j++) q[j] += S[i][j] * (alphas[i] - b);
    }
    let d = q.map((v) => -v);
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction: forget the history and go down the gradient.
      S.length = 0; Y.length = 0;
      d = g.map((v) => -v / Math.max(1, Math.sqrt(dot(g, g))));
      slope = dot(g, d);
    }
    let t = 1;
    let next = f(x.map((v, i) => v + t * d[i]));
    let tries = 0;
    while (!(next.value <= cur.value + 1e-4 * t * slope) && tries < 30) {
      t *= 0.5;
      next = f(x.map((v, i) => v + t * d[i]));
      tries++;
    }
    if (!(next.value <= cur.value + 1e-4 * t * slope)) {
      if (S.length === 0) return { x, value: cur.value, iterations: it, reason: "no-progress" };
      S.length = 0; Y.length = 0; // retry once from a plain gradient step
      continue;
    }
    const xNew = x.map((v, i) => v + t * d[i]);
    const s = xNew.map((v, i) => v - x[i]);
    const y = next.grad.map((v, i) => v - g[i]);
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      S.push(s); Y.push(y);
      if (S.length > m) { S.shift(); Y.shift(); }
    }
    const improvement = cur.value - next.value;
    x = xNew;
    cur = next;
    stalls = improvement <= (opts.fTol ?? 1e-12) * Math.abs(cur.value) ? stalls + 1 : 0;
    if (stalls >= 3) return { x, value: cur.value, iterations: it + 1, reason: "no-progress" };
  }
  return { x, value: cur.value, iterations: maxIt, reason: "max-iterations" };
}
