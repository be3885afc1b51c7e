"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { fmtCount, fmtDuration, fmtSci } from "../../../lib/planning/format";
import { ARCHITECTURES, RunConfigFields } from "../../../lib/run-config";
import { parseBudget } from "../../../lib/scaling/budget";
import type { RouterOutputs } from "../../../server/trpc/router";
import { errorText } from "../../lib/errors";
import { trpc } from "../../lib/trpc";
import { compareHref } from "../compare/compare-params";

type Plan = RouterOutputs["sweep"]["plan"];
type Made = RouterOutputs["sweep"]["create"];
const field = "rounded border border-slate-700 bg-slate-950 px-2 py-1 text-sm text-slate-100";
const d = RunConfigFields.parse({ name: "x" });

/** "1e12, 3e12 FLOPs" → budgets, or the first entry that is not one. */
function parseBudgets(text: string): number[] | string {
  const out: number[] = [];
  for (const part of text.split(/[,;\n]+/).map((s) => s.trim()).filter(Boolean)) {
    const b = parseBudget(part);
    if ("error" in b) return b.error;
    out.push(b.flops);
  }
  return out.length ? out : "Give at least one compute budget";
}

/** "2x64, 4x128" (layers × width) → sizes, or what is wrong. */
function parseSizes(text: string): { nLayer: number; dModel: number }[] | string {
  const out: { nLayer: number; dModel: number }[] = [];
  for (const part of text.split(/[,;\n]+/).map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)\s*[x×]\s*(\d+)$/.exec(part);
    if (!m) return `“${part}” is not layers×width, such as 2x64`;
    out.push({ nLayer: Number(m[1]), dModel: Number(m[2]) });
  }
  return out.length ? out : "Give at least one model size";
}

export function SweepForm({ datasets }: { datasets: { id: string; name: string }[] }) {
  const [name, setName] = useState("isoflop");
  const [dataset, setDataset] = useState(datasets[0]?.id ?? "default");
  const [arch, setArch] = useState<string>(d.arch);
  const [contextLength, setContext] = useState(String(d.contextLength));
  const [batchSize, setBatch] = useState(String(d.batchSize));
  const [lr, setLr] = useState(String(d.lr));
  const [benchmarks, setBenchmarks] = useState(false);
  const [budgetText, setBudgets] = useState("1e11, 3e11, 1e12");
  const [sizeText, setSizes] = useState("1x32, 2x48, 2x64");
  const [minSteps, setMinSteps] = useState("50");
  const [plan, setPlan] = useState<Plan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [made, setMade] = useState<Made | null>(null);
  const [busy, setBusy] = useState(false);

  const budgets = parseBudgets(budgetText);
  const sizes = parseSizes(sizeText);
  const local = typeof budgets === "string" ? budgets : typeof sizes === "string" ? sizes : null;
  const input = local ? null : {
    name, budgets: budgets as number[], sizes: sizes as { nLayer: number; dModel: number }[], minSteps: Number(minSteps),
    base: { dataset, arch, contextLength: Number(contextLength), batchSize: Number(batchSize), lr: Number(lr), ...(benchmarks ? {} : { evals: [] }) },
  };
  const key = JSON.stringify(input);

  // The preview follows the form once typing settles; it is the server's plan, the one create will make.
  useEffect(() => {
    if (!input) { setPlan(null); setError(local); return; }
    const timer = setTimeout(() => {
      trpc.sweep.plan.query(input).then((p) => { setPlan(p); setError(null); }, (e) => { setPlan(null); setError(errorText(e)); });
    }, 300);
    return () => clearTimeout(timer);
  }, [key]); // eslint-disable-line react-hooks/exhaustive-deps

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (!input) return;
    setBusy(true);
    try {
      setMade(await trpc.sweep.create.mutate(input));
      setError(null);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  const runnable = plan?.cells.filter((c) => !c.skip) ?? [];
  return (
    <form onSubmit={submit} className="space-y-4" data-testid="sweep-form">
      <div className="grid max-w-4xl gap-3 sm:grid-cols-3">
        <label className="text-sm text-slate-300">Name <input className={`${field} block w-full`} value={name} onChange={(e) => setName(e.target.value)} data-testid="sweep-name" /></label>
        <label className="text-sm text-slate-300">Dataset
          <select className={`${field} block w-full`} value={dataset} onChange={(e) => setDataset(e.target.value)}>
            <option value="default">default</option>
            {datasets.map((x) => <option key={x.id} value={x.id}>{x.name}</option>)}
          </select>
        </label>
        <label className="text-sm text-slate-300">Architecture
          <select className={`${field} block w-full`} value={arch} onChange={(e) => setArch(e.target.value)}>{ARCHITECTURES.map((a) => <option key={a}>{a}</option>)}</select>
        </label>
        <label className="text-sm text-slate-300">Context <input className={`${field} block w-full`} value={contextLength} onChange={(e) => setContext(e.target.value)} /></label>
        <label className="text-sm text-slate-300">Batch (sequences) <input className={`${field} block w-full`} value={batchSize} onChange={(e) => setBatch(e.target.value)} /></label>
        <label className="text-sm text-slate-300">Learning rate <input className={`${field} block w-full`} value={lr} onChange={(e) => setLr(e.target.value)} /></label>
        <label className="text-sm text-slate-300 sm:col-span-2">Compute budgets (FLOPs, comma-separated)
          <input className={`${field} block w-full`} value={budgetText} onChange={(e) => setBudgets(e.target.value)} data-testid="sweep-budgets" /></label>
        <label className="text-sm text-slate-300">Fewest steps <input className={`${field} block w-full`} value={minSteps} onChange={(e) => setMinSteps(e.target.value)} /></label>
        <label className="text-sm text-slate-300 sm:col-span-2">Model sizes (layers×width, comma-separated; heads keep the default head width)
          <input className={`${field} block w-full`} value={sizeText} onChange={(e) => setSizes(e.target.value)} data-testid="sweep-sizes" /></label>
        <label className="flex items-center gap-2 text-sm text-slate-300"><input type="checkbox" checked={benchmarks} onChange={(e) => setBenchmarks(e.target.checked)} /> the form’s default benchmarks</label>
      </div>
      <p className="text-xs text-slate-500">Everything else is the new-run form’s default. Warmup is cut to a tenth of a short run; no batch ramp, so D is exact.</p>
      {error && <p role="alert" className="rounded-md border border-rose-500/40 bg-rose-500/10 px-3 py-2 text-sm text-rose-200" data-testid="sweep-error">{error}</p>}
      {plan && (
        <div className="overflow-x-auto rounded-lg border border-slate-800 bg-slate-900 p-3">
          <table className="w-full text-left text-sm text-slate-300" data-testid="sweep-preview">
            <thead className="text-xs text-slate-400"><tr><th className="pr-3">C</th><th className="pr-3">layers×width</th><th className="pr-3">heads</th><th className="pr-3">N</th><th className="pr-3">D</th><th className="pr-3">steps</th><th className="pr-3">tokens/param</th><th className="pr-3">time</th><th /></tr></thead>
            <tbody>
              {plan.cells.map((c) => (
                <tr key={`${c.budget}-${c.nLayer}-${c.dModel}`} className={c.skip ? "text-slate-500" : ""} data-testid="sweep-cell" data-skip={c.skip ? "1" : "0"}>
                  <td className="pr-3 font-mono">{fmtSci(c.budget, 1)}</td><td className="pr-3">{c.nLayer}×{c.dModel}</td><td className="pr-3">{c.nHead || "—"}</td>
                  <td className="pr-3 font-mono">{fmtCount(c.params)}</td><td className="pr-3 font-mono">{fmtCount(c.tokens)}</td><td className="pr-3 font-mono">{c.steps.toLocaleString("en-US")}</td>
                  <td className="pr-3 font-mono">{c.tokensPerParam.toFixed(1)}</td><td className="pr-3">{fmtDuration(c.seconds)}</td>
                  <td className="text-xs">{c.skip ? `skipped: ${c.skip}` : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="mt-2 text-xs text-slate-400">
            {runnable.length} runs in project {plan.project}
            {plan.totalSeconds !== null ? `; about ${fmtDuration(plan.totalSeconds)} of training in all at the speed ${plan.timeFrom} measured, one after another` : "; no run has measured this machine’s speed yet, so no time estimate"}.
          </p>
        </div>
      )}
      <button type="submit" disabled={busy || !plan || runnable.length === 0} data-testid="sweep-submit"
        className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50">
        {busy ? "Creating…" : `Create ${runnable.length} runs`}
      </button>
      {made && (
        <p className="text-sm text-emerald-300" data-testid="sweep-made">
          Created {made.runIds.length} runs in {made.project}.{" "}
          <Link className="text-indigo-300 underline" href={compareHref({ runs: made.runIds.slice(0, 20) })} data-testid="sweep-compare">Compare this sweep</Link>
          {made.runIds.length > 20 ? " (its first 20 runs)" : ""} ·{" "}
          <Link className="text-indigo-300 underline" href={`/?project=${encodeURIComponent(made.project)}`}>its runs</Link>
        </p>
      )}
    </form>
  );
}
