"use client";
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import { fmtCount, fmtSci } from "../../../lib/planning/format";
import {
  analyzeScaling, computeGrid, computeOf, extrapolate, lawCurve, parseBudget, scalingPoints,
  type Interval, type ScalingAnalysis, type ScalingRunInput,
} from "../../../lib/scaling";
import { trpc } from "../../lib/trpc";
import { ScalingChart } from "./scaling-chart";

const RESAMPLES = 200;
const iv = (i: Interval | null | undefined, f: (x: number) => string) => (i ? `[${f(i.lo)}, ${f(i.hi)}]` : "");
const p3 = (x: number) => Number(x.toPrecision(3)).toString();

/**
 * Scaling laws over the compared runs: L(N, D) = E + A/N^α + B/D^β and L(C) = E + A·C^−γ, with
 * bootstrap intervals, fitted here in the browser (lib/scaling; a few hundred small fits).
 * `refreshKey` changes when a run's status or best loss does, to fetch the inputs again.
 */
export function ScalingPanel({ runIds, refreshKey }: { runIds: string[]; refreshKey: string }) {
  const [inputs, setInputs] = useState<ScalingRunInput[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [analysis, setAnalysis] = useState<{ a: ScalingAnalysis; ms: number } | null>(null);
  const [budgetText, setBudgetText] = useState<string>("");

  useEffect(() => {
    if (runIds.length === 0) return;
    trpc.compare.scaling.query({ runIds }).then(setInputs, (e: Error) => setError(e.message));
  }, [runIds.join(","), refreshKey]); // eslint-disable-line react-hooks/exhaustive-deps

  const selected = useMemo(() => (inputs ? scalingPoints(inputs) : null), [inputs]);
  useEffect(() => {
    if (!selected || selected.points.length === 0) return setAnalysis(null);
    // After paint, so the page shows before the resamples run.
    const timer = setTimeout(() => {
      const t0 = performance.now();
      const a = analyzeScaling(selected.points, { resamples: RESAMPLES, seed: 1 });
      setAnalysis({ a, ms: performance.now() - t0 });
    }, 0);
    return () => clearTimeout(timer);
  }, [selected]);

  const maxC = selected?.points.length ? Math.max(...selected.points.map(computeOf)) : null;
  const defaultBudget = maxC ? `${fmtSci(10 * maxC, 0)} FLOPs` : "";
  const budget = parseBudget(budgetText || defaultBudget || "0");
  const target = "flops" in budget ? budget.flops : null;
  const x = analysis && target ? extrapolate(analysis.a, target) : null;

  const chart = useMemo(() => {
    if (!analysis || !selected) return null;
    const a = analysis.a;
    const cs = a.points.map(computeOf);
    const hi = Math.max(...cs, target ?? 0) * 1.5;
    const computes = computeGrid(Math.min(...cs) / 1.5, hi, 60);
    const curve = lawCurve(a, computes);
    const frontier = new Set("fit" in a.compute ? a.compute.fit.frontier.map((f) => f.id) : []);
    const names = new Map((inputs ?? []).map((r) => [r.id, r.name]));
    return {
      runs: a.points.map((p) => ({ label: names.get(p.id) ?? p.id, compute: computeOf(p), loss: p.loss, frontier: frontier.has(p.id) })),
      law: curve && "fit" in a.compute ? { computes, ...curve, label: a.compute.fit.form === "offset" ? "L(C) = E + A·C^−γ" : "L(C) = A·C^−γ" } : null,
    };
  }, [analysis, selected, inputs, target]);

  return (
    <section className="space-y-3 rounded-lg border border-slate-800 bg-slate-900 p-4" data-testid="scaling-panel">
      <div className="flex flex-wrap items-baseline gap-3">
        <h2 className="text-base font-semibold text-slate-100">Scaling law</h2>
        <span className="text-xs text-slate-400">Chinchilla approach 3 on N (all parameters), D (tokens seen) and each run’s best val loss; C = 6·N·D</span>
        <Link href="/runs/sweep" className="ml-auto text-sm text-indigo-300 hover:underline" data-testid="sweep-link">Launch an IsoFLOP sweep</Link>
      </div>
      {error && <p role="alert" className="text-sm text-rose-300">{error}</p>}
      {!inputs && !error && <p className="text-sm text-slate-400">Loading the runs…</p>}
      {selected && selected.excluded.length > 0 && (
        <ul className="text-xs text-slate-400" data-testid="scaling-excluded">
          {selected.excluded.map((e) => <li key={e.id}>Left out: <span className="text-slate-300">{e.name}</span>: {e.reason}</li>)}
        </ul>
      )}
      {selected && selected.points.length === 0 && <p className="text-sm text-slate-400" data-testid="scaling-none">No finished run with N, D and a val loss among these.</p>}
      {selected && selected.points.length > 0 && !analysis && <p className="text-sm text-slate-400">Fitting…</p>}
      {analysis && (
        <>
          {analysis.a.warnings.length > 0 && (
            <ul role="alert" className="rounded-md border border-amber-500/40 bg-amber-500/10 px-3 py-2 text-sm text-amber-200" data-testid="scaling-warnings">
              {analysis.a.warnings.map((w) => <li key={w}>{w}</li>)}
              <li className="text-xs text-amber-200/80">Runs that vary N and D more widely (an IsoFLOP sweep with models past their optimum at every budget) pin the law down.</li>
            </ul>
          )}
          <div className="grid gap-4 lg:grid-cols-2">
            <Constants a={analysis.a} />
            <div className="space-y-2 text-sm">
              <label className="block text-slate-300">Target budget
                <input value={budgetText || defaultBudget} onChange={(e) => setBudgetText(e.target.value)} data-testid="scaling-budget"
                  className="ml-2 w-48 rounded border border-slate-700 bg-slate-950 px-2 py-1 text-slate-100" />
              </label>
              {"error" in budget && <p role="alert" className="text-xs text-rose-300" data-testid="scaling-budget-error">{budget.error}</p>}
              {x && <Extrapolated x={x} />}
            </div>
          </div>
          {chart && <ScalingChart runs={chart.runs} law={chart.law} target={x?.computeLoss ? { compute: x.compute, loss: x.computeLoss.value } : null} />}
          <Residuals a={analysis.a} names={new Map((inputs ?? []).map((r) => [r.id, r.name]))} />
          <p className="text-xs text-slate-500" data-testid="scaling-timing">{analysis.a.points.length} runs; {RESAMPLES} bootstrap resamples of both fits in {Math.round(analysis.ms)} ms; intervals are the central 95%.</p>
        </>
      )}
    </section>
  );
}

function Constants({ a }: { a: ScalingAnalysis }) {
  const nd = "fit" in a.parametric ? a.parametric : null;
  return (
    <div className="space-y-2 text-sm" data-testid="scaling-constants">
      <h3 className="font-medium text-slate-300">L(N, D) = E + A/N^α + B/D^β</h3>
      {nd ? (
        <table className="text-slate-200"><tbody>
          {(["E", "A", "B", "alpha", "beta"] as const).map((k) => (
            <tr key={k} data-testid={`scaling-nd-${k}`}>
              <td className="pr-3 text-slate-400">{{ E: "E", A: "A", B: "B", alpha: "α", beta: "β" }[k]}</td>
              <td className="pr-3 font-mono">{p3(nd.fit[k])}</td>
              <td className="font-mono text-xs text-slate-400">{iv(nd.intervals[k], p3)}</td>
            </tr>
          ))}
        </tbody></table>
      ) : <p className="text-amber-200" data-testid="scaling-nd-problems">{"problems" in a.parametric ? a.parametric.problems.join("; ") : ""}</p>}
      <h3 className="font-medium text-slate-300">L(C) on the compute frontier</h3>
      {"fit" in a.compute ? (
        <div data-testid="scaling-c">
          <p className="font-mono text-slate-200">
            {a.compute.fit.form === "offset" ? `E ${p3(a.compute.fit.E)} ${iv(a.compute.intervals.E, p3)} · ` : ""}
            A {p3(a.compute.fit.A)} {iv(a.compute.intervals.A, p3)} · γ {p3(a.compute.fit.gamma)} {iv(a.compute.intervals.gamma, p3)}
          </p>
          {a.compute.fit.note && <p className="text-xs text-slate-400">Pure power law: {a.compute.fit.note}.</p>}
        </div>
      ) : <p className="text-amber-200">{a.compute.problems.join("; ")}</p>}
    </div>
  );
}

function Extrapolated({ x }: { x: ReturnType<typeof extrapolate> }) {
  return (
    <div className="space-y-1 text-slate-200" data-testid="scaling-extrapolation">
      {x.computeLoss && <p>L(C*) = <span className="font-mono">{x.computeLoss.value.toFixed(3)}</span> <span className="font-mono text-xs text-slate-400">{iv(x.computeLoss.interval, (v) => v.toFixed(3))}</span></p>}
      {x.optimal ? (
        <>
          <p data-testid="scaling-nopt">Compute-optimal N ≈ <span className="font-mono">{fmtCount(x.optimal.value.params)}</span> <span className="font-mono text-xs text-slate-400">{iv(x.optimal.intervals.params, fmtCount)}</span></p>
          <p>D ≈ <span className="font-mono">{fmtCount(x.optimal.value.tokens)}</span> tokens <span className="font-mono text-xs text-slate-400">{iv(x.optimal.intervals.tokens, fmtCount)}</span></p>
          <p data-testid="scaling-tpp">≈ {p3(x.optimal.value.tokensPerParam)} tokens per parameter <span className="font-mono text-xs text-slate-400">{iv(x.optimal.intervals.tokensPerParam, p3)}</span></p>
          {x.beyond && Math.max(x.beyond.params, x.beyond.tokens) > 10 && (
            <p className="text-xs text-amber-200" data-testid="scaling-beyond">Extrapolated {Math.round(Math.max(x.beyond.params, x.beyond.tokens)).toLocaleString("en-US")}× beyond the runs’ {x.beyond.params >= x.beyond.tokens ? "model sizes" : "token counts"}.</p>
          )}
          <p>L(N_opt, D_opt) = <span className="font-mono">{x.optimal.value.loss.toFixed(3)}</span> <span className="font-mono text-xs text-slate-400">{iv(x.optimal.intervals.loss, (v) => v.toFixed(3))}</span></p>
        </>
      ) : <p className="text-xs text-slate-400">No compute-optimal split: it needs the L(N, D) fit with α, β &gt; 0.</p>}
    </div>
  );
}

function Residuals({ a, names }: { a: ScalingAnalysis; names: Map<string, string> }) {
  const nd = "fit" in a.parametric ? new Map(a.parametric.fit.residuals.map((r) => [r.id, r.residual])) : null;
  return (
    <details className="text-sm" data-testid="scaling-residuals" open>
      <summary className="cursor-pointer text-slate-300">Runs used and residuals (log observed − log fitted)</summary>
      <table className="mt-2 w-full text-left text-xs text-slate-300">
        <thead className="text-slate-400"><tr><th className="pr-3">run</th><th className="pr-3">N</th><th className="pr-3">D</th><th className="pr-3">C</th><th className="pr-3">best val loss</th><th>residual L(N, D)</th></tr></thead>
        <tbody>
          {a.points.map((p) => (
            <tr key={p.id} data-testid="scaling-run">
              <td className="pr-3">{names.get(p.id) ?? p.id}</td><td className="pr-3 font-mono">{fmtCount(p.params)}</td><td className="pr-3 font-mono">{fmtCount(p.tokens)}</td>
              <td className="pr-3 font-mono">{fmtSci(computeOf(p))}</td><td className="pr-3 font-mono">{p.loss.toFixed(4)}</td>
              <td className="font-mono">{nd ? (nd.get(p.id)! >= 0 ? "+" : "") + nd.get(p.id)!.toFixed(4) : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
