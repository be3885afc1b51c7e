import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../lib/rng";
import {
  analyzeScaling, extrapolate, fitCompute, fitParametric, optimalSplit, parseBudget, predictND, scalingPoints, ScalingInputError,
  type ParametricLaw, type ScalingPoint,
} from "../../lib/scaling";

const CHINCHILLA: ParametricLaw = { E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28 };
/** A second, small-model set: the scale of this trainer's runs (10⁴–10⁶ parameters). */
const SMALL: ParametricLaw = { E: 2.1, A: 60, B: 150, alpha: 0.45, beta: 0.3 };

/** An IsoFLOP-like sweep: for each budget, sizes spread around its optimum, D = C / 6N. */
function sweep(law: ParametricLaw, budgets: number[], sizesPerBudget: number, noise: number, seed = 7): ScalingPoint[] {
  const rng = new Rng(seed);
  const out: ScalingPoint[] = [];
  for (const c of budgets) {
    const opt = optimalSplit(law, c)!.params;
    for (let i = 0; i < sizesPerBudget; i++) {
      const params = Math.round(opt * 4 ** ((i - (sizesPerBudget - 1) / 2) / ((sizesPerBudget - 1) / 2)));
      const tokens = Math.round(c / (6 * params));
      const loss = predictND(law, params, tokens) * Math.exp(noise * rng.normal());
      out.push({ id: `c${c.toExponential(1)}-n${params}`, params, tokens, loss });
    }
  }
  return out;
}

const relErr = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);
function recovery(name: string, got: ParametricLaw, want: ParametricLaw) {
  const errs = Object.fromEntries((Object.keys(want) as (keyof ParametricLaw)[]).map((k) => [k, relErr(got[k], want[k])])) as Record<keyof ParametricLaw, number>;
  console.log(`recovery ${name}: ${Object.entries(errs).map(([k, e]) => `${k} ${(100 * e).toPrecision(2)}%`).join(", ")}`);
  return errs;
}

const chinchillaBudgets = [1e18, 3e18, 1e19, 3e19, 1e20, 3e20, 1e21];
const smallBudgets = [1e11, 3e11, 1e12, 3e12, 1e13, 3e13];

test("L(N, D) recovers Chinchilla's constants from a noiseless sweep", () => {
  const fit = fitParametric(sweep(CHINCHILLA, chinchillaBudgets, 7, 0));
  const e = recovery("Chinchilla, noiseless", fit, CHINCHILLA);
  for (const k of ["E", "alpha", "beta"] as const) assert.ok(e[k] < 1e-3, `${k}: ${fit[k]} vs ${CHINCHILLA[k]}`);
  for (const k of ["A", "B"] as const) assert.ok(e[k] < 1e-2, `${k}: ${fit[k]} vs ${CHINCHILLA[k]}`);
  assert.ok(fit.residuals.every((r) => Math.abs(r.residual) < 1e-4));
});

test("L(N, D) recovers a second, small-model set with and without 1% noise", () => {
  const clean = fitParametric(sweep(SMALL, smallBudgets, 6, 0));
  const ec = recovery("small set, noiseless", clean, SMALL);
  for (const k of ["E", "alpha", "beta"] as const) assert.ok(ec[k] < 1e-3, `${k}: ${clean[k]}`);
  const noisy = fitParametric(sweep(SMALL, smallBudgets, 6, 0.01));
  const en = recovery("small set, 1% noise", noisy, SMALL);
  assert.ok(en.E < 0.1 && en.alpha < 0.25 && en.beta < 0.25, JSON.stringify(noisy));
});

test("L(N, D) with 0.5% noise on Chinchilla's constants: exponents within 15%, E within 5%", () => {
  const fit = fitParametric(sweep(CHINCHILLA, chinchillaBudgets, 7, 0.005));
  const e = recovery("Chinchilla, 0.5% noise", fit, CHINCHILLA);
  assert.ok(e.E < 0.05 && e.alpha < 0.15 && e.beta < 0.15, JSON.stringify(fit));
});

test("the optimal split's closed form matches a brute-force minimisation of L(N, C/6N)", () => {
  for (const law of [CHINCHILLA, SMALL]) {
    for (const c of [1e12, 1e18, 5.76e23]) {
      const closed = optimalSplit(law, c)!;
      // Golden-section search on log N over twelve decades around the answer.
      const f = (lN: number) => predictND(law, Math.exp(lN), c / (6 * Math.exp(lN)));
      let [lo, hi] = [Math.log(closed.params) - 14, Math.log(closed.params) + 14];
      const g = (Math.sqrt(5) - 1) / 2;
      for (let i = 0; i < 200; i++) {
        const a = hi - g * (hi - lo);
        const b = lo + g * (hi - lo);
        if (f(a) < f(b)) hi = b; else lo = a;
      }
      const brute = Math.exp((lo + hi) / 2);
      assert.ok(relErr(closed.params, brute) < 1e-5, `C=${c}: closed ${closed.params}, brute ${brute}`);
      assert.ok(relErr(closed.tokens * closed.params * 6, c) < 1e-12);
    }
  }
  // Chinchilla's own constants at Chinchilla's budget (5.76e23) put N_opt near 40 B, as the paper's approach 3 does.
  const chin = optimalSplit(CHINCHILLA, 5.76e23)!;
  assert.ok(chin.params > 2e10 && chin.params < 6e10, String(chin.params));
});

test("L(C) on the compute frontier recovers the exponent αβ/(α+β) the parametric law implies", () => {
  // Points exactly on the frontier: L*(C) = E + K·C^(−γ).
  const gamma = (CHINCHILLA.alpha * CHINCHILLA.beta) / (CHINCHILLA.alpha + CHINCHILLA.beta);
  const onFrontier = chinchillaBudgets.map((c, i) => { const s = optimalSplit(CHINCHILLA, c)!; return { id: `f${i}`, params: s.params, tokens: s.tokens, loss: s.loss }; });
  const exact = fitCompute(onFrontier);
  console.log(`recovery L(C) exact frontier: gamma ${exact.gamma.toFixed(5)} vs ${gamma.toFixed(5)} (${(100 * relErr(exact.gamma, gamma)).toPrecision(2)}%), E ${exact.E.toFixed(4)}`);
  assert.equal(exact.form, "offset");
  assert.ok(relErr(exact.gamma, gamma) < 1e-2 && relErr(exact.E, CHINCHILLA.E) < 1e-2, JSON.stringify(exact));
  // From an IsoFLOP grid as a real sweep runs one: the same 12 sizes (1e8 to 1e10) at every budget,
  // so each budget's best size is near, not at, its optimum.
  const sizes = Array.from({ length: 12 }, (_, i) => Math.round(1e8 * 100 ** (i / 11)));
  const grid = chinchillaBudgets.flatMap((c) => sizes.map((n) => ({ id: `${c}-${n}`, params: n, tokens: c / (6 * n), loss: predictND(CHINCHILLA, n, c / (6 * n)) })));
  const fromSweep = fitCompute(grid);
  console.log(`recovery L(C) from a fixed-size IsoFLOP grid: gamma ${fromSweep.gamma.toFixed(5)} (${(100 * relErr(fromSweep.gamma, gamma)).toPrecision(2)}%), E ${fromSweep.E.toFixed(4)}`);
  assert.equal(fromSweep.frontier.length, chinchillaBudgets.length);
  assert.ok(relErr(fromSweep.gamma, gamma) < 0.1, JSON.stringify(fromSweep));
});

test("L(C) falls back to the pure power law when E cannot be identified, and says why", () => {
  const pts = [1e15, 1e16, 1e17].map((c, i) => ({ id: `p${i}`, params: 1e6, tokens: c / 6e6, loss: 3 * c ** -0.05 }));
  const fit = fitCompute(pts);
  assert.equal(fit.form, "pure");
  assert.match(fit.note!, /3 budgets/);
  assert.ok(relErr(fit.gamma, 0.05) < 1e-6 && relErr(fit.A, 3) < 1e-4, JSON.stringify(fit));
  // Four budgets of a pure power law: the offset fit drives E towards 0, which is not identified.
  const four = [1e15, 1e16, 1e17, 1e18].map((c, i) => ({ id: `q${i}`, params: 1e6, tokens: c / 6e6, loss: 3 * c ** -0.05 }));
  const f4 = fitCompute(four);
  assert.equal(f4.form, "pure", JSON.stringify(f4));
  assert.match(f4.note!, /not identifiable/);
  assert.throws(() => fitCompute(pts.slice(0, 1)), /two or more compute budgets/);
});

test("bad inputs: too few runs, non-finite losses, duplicate points each get a clear message", () => {
  const good = sweep(SMALL, smallBudgets, 3, 0);
  const problems = (pts: ScalingPoint[]) => { try { fitParametric(pts); return []; } catch (e) { assert.ok(e instanceof ScalingInputError); return e.problems; } };
  assert.match(problems(good.slice(0, 4)).join(), /4 runs with distinct \(N, D\); the fit needs at least 5: 1 more/);
  assert.match(problems([...good.slice(0, 5), { id: "nan", params: 1e5, tokens: 1e6, loss: NaN }]).join(), /Run nan: loss is NaN/);
  assert.match(problems([...good.slice(0, 5), { id: "inf", params: Infinity, tokens: 1e6, loss: 3 }]).join(), /Run inf: params is Infinity/);
  assert.match(problems([...good.slice(0, 5), { ...good[0], id: "dup" }]).join(), /and dup have the same N/);
  const a = analyzeScaling(good.slice(0, 4), { resamples: 20 });
  assert.ok("problems" in a.parametric && /needs at least 5/.test(a.parametric.problems[0]));
  const b = analyzeScaling(good.filter((_, i) => i % 3 === 1).slice(0, 3), { resamples: 20 });
  assert.ok("fit" in b.compute, "L(C) still fits three budgets");
});

test("bootstrap: intervals cover the true constants and the extrapolation, residuals per run, same seed same answer", () => {
  const pts = sweep(SMALL, smallBudgets, 5, 0.01);
  const t0 = performance.now();
  const a = analyzeScaling(pts, { resamples: 200, seed: 3 });
  console.log(`bootstrap: 200 resamples of ${pts.length} runs in ${(performance.now() - t0).toFixed(0)} ms`);
  assert.ok("fit" in a.parametric && "fit" in a.compute);
  assert.equal(a.boot.parametric.length, 200);
  const iv = a.parametric.intervals;
  for (const k of ["E", "alpha", "beta"] as const) {
    const i = iv[k]!;
    assert.ok(i.lo <= SMALL[k] && SMALL[k] <= i.hi, `${k}: [${i.lo}, ${i.hi}] misses ${SMALL[k]}`);
  }
  assert.equal(a.parametric.fit.residuals.length, pts.length);
  const x = extrapolate(a, 3e14);
  const truth = optimalSplit(SMALL, 3e14)!;
  const li = x.optimal!.intervals.loss!;
  console.log(`extrapolation to 3e14: loss ${x.optimal!.value.loss.toFixed(4)} [${li.lo.toFixed(4)}, ${li.hi.toFixed(4)}], truth ${truth.loss.toFixed(4)}; N_opt ${x.optimal!.value.params.toExponential(3)} vs ${truth.params.toExponential(3)}`);
  assert.ok(li.lo <= truth.loss * 1.01 && truth.loss * 0.99 <= li.hi);
  const ni = x.optimal!.intervals.params!;
  assert.ok(ni.lo < x.optimal!.value.params && x.optimal!.value.params < ni.hi);
  assert.ok(x.computeLoss && x.computeLoss.interval && x.computeLoss.interval.lo <= x.computeLoss.value && x.computeLoss.value <= x.computeLoss.interval.hi);
  const again = analyzeScaling(pts, { resamples: 200, seed: 3 });
  assert.deepEqual(again.parametric, a.parametric);
});

test("the runs a fit uses: completed, with N, D and a val loss; the others say why they were left out", () => {
  const { points, excluded } = scalingPoints([
    { id: "a", name: "a", status: "completed", params: 1e5, tokens: 1e6, bestValLoss: 3 },
    { id: "b", name: "b", status: "running", params: 1e5, tokens: 1e6, bestValLoss: 3 },
    { id: "c", name: "c", status: "completed", params: 1e5, tokens: 1e6, bestValLoss: null },
    { id: "d", name: "d", status: "completed", params: null, tokens: 1e6, bestValLoss: 3 },
    { id: "e", name: "e", status: "completed", params: 1e5, tokens: 0, bestValLoss: 3 },
  ]);
  assert.deepEqual(points.map((p) => p.id), ["a"]);
  assert.deepEqual(excluded.map((e) => [e.id, e.reason.split(" (")[0]]), [["b", "not finished"], ["c", "no val_loss logged"], ["d", "parameter count unknown"], ["e", "tokens seen unknown"]]);
});

test("budgets as typed: plain, with units and prefixes; nonsense and out-of-range refused", () => {
  assert.deepEqual(parseBudget("1e18"), { flops: 1e18 });
  assert.deepEqual(parseBudget(" 1e18 FLOPs "), { flops: 1e18 });
  assert.deepEqual(parseBudget("2.5e17 flop"), { flops: 2.5e17 });
  assert.deepEqual(parseBudget("3 PFLOP"), { flops: 3e15 });
  assert.deepEqual(parseBudget("6e+20"), { flops: 6e20 });
  assert.match((parseBudget("lots") as { error: string }).error, /not a compute budget/);
  assert.match((parseBudget("0") as { error: string }).error, /above 0/);
  assert.match((parseBudget("1e40") as { error: string }).error, /At most/);
});

test("a fit the runs do not identify says so: data-limited runs whose loss hardly depends on N", () => {
  // Every run's loss depends on D alone, as in a sweep of tiny under-trained models.
  const pts = [1e4, 3e4, 1e5].flatMap((n) => [1e4, 1e5, 1e6].map((d) => ({ id: `${n}-${d}`, params: n, tokens: d, loss: 1 + 40 / d ** 0.3 })));
  const a = analyzeScaling(pts, { resamples: 10 });
  assert.ok(a.warnings.length > 0, JSON.stringify("fit" in a.parametric ? a.parametric.fit : a.parametric));
  const good = analyzeScaling(sweep(SMALL, smallBudgets, 5, 0), { resamples: 10 });
  assert.deepEqual(good.warnings, []);
  const far = extrapolate(good, 1e20);
  assert.ok(far.beyond!.params > 10, "1e20 FLOPs is far beyond runs of 10⁴–10⁶ parameters");
});
