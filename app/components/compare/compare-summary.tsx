"use client";
import Link from "next/link";
import { fmtInt, fmtNumber } from "../../lib/format";
import { StatusBadge } from "../common/status-badge";
import type { SummaryRow } from "./compare-live";

/** 1234567 → "1.23M": token counts span six orders of magnitude between runs. */
function fmtCompact(n: number | null): string {
  if (n === null) return "—";
  return Intl.NumberFormat("en-US", { notation: "compact", maximumSignificantDigits: 3 }).format(n);
}

/** The benchmark columns: each task's accuracy metrics seen in any run. */
function evalColumns(rows: SummaryRow[]): string[] {
  const keys = new Set(rows.flatMap((r) => Object.keys(r.evals)));
  return [...keys].filter((k) => /\/(acc|acc_norm)$/.test(k)).sort();
}

function extreme(values: (number | null | undefined)[], pick: "min" | "max"): number | null {
  const xs = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (xs.length < 2) return null;
  return pick === "min" ? Math.min(...xs) : Math.max(...xs);
}

const th = "whitespace-nowrap px-3 py-2 font-medium";
const td = "whitespace-nowrap px-3 py-2 font-mono tabular-nums";
const best = "text-emerald-300 font-semibold";

/** One row per run: the numbers you would otherwise read off each run's page. The best of each column is green. */
export function CompareSummary({ rows, colors, outside = new Set() }: { rows: SummaryRow[]; colors: Map<string, string>; outside?: Set<string> }) {
  const evals = evalColumns(rows);
  const bestVal = extreme(rows.map((r) => r.bestValLoss?.value), "min");
  const bestEval = Object.fromEntries(evals.map((k) => [k, extreme(rows.map((r) => r.evals[k]?.value), "max")]));
  const fastest = extreme(rows.map((r) => r.medianTokensPerSec), "max");
  return (
    <section className="overflow-x-auto rounded-lg border border-slate-800 bg-slate-900/40">
      <table className="w-full text-sm" data-testid="summary-table">
        <thead className="border-b border-slate-800 text-left text-xs text-slate-400">
          <tr>
            <th className={`${th} pl-4`}>Run</th>
            <th className={th}>Status</th>
            <th className={`${th} text-right`}>Params</th>
            <th className={`${th} text-right`}>Step</th>
            <th className={`${th} text-right`} title="Lowest validation loss so far, and the step it was seen at">Best val loss</th>
            {evals.map((k) => (
              <th key={k} className={`${th} text-right`} title={`${k}: the latest evaluation`}>{k.slice("eval/".length).replace("/", " ")}</th>
            ))}
            <th className={`${th} text-right`} title="Steps × mean logged batch × context length">Tokens seen</th>
            <th className={`${th} pr-4 text-right`} title="Median of the logged tokens/s">Median tok/s</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-800/70">
          {rows.map((r) => (
            <tr key={r.runId} data-testid="summary-row" data-run-id={r.runId} className="hover:bg-slate-800/30">
              <td className="whitespace-nowrap py-2 pl-4 pr-3">
                <span className="mr-2 inline-block h-2.5 w-2.5 rounded-full" style={{ background: colors.get(r.runId) }} />
                <Link href={`/runs/${r.runId}`} className="font-medium text-slate-100 hover:text-indigo-300 hover:underline">{r.name}</Link>
              </td>
              <td className="px-3 py-2"><StatusBadge status={r.status} /></td>
              <td className={`${td} text-right text-slate-300`}>{fmtCompact(r.paramCount)}</td>
              <td className={`${td} text-right text-slate-300`}>{fmtInt(r.step)}{r.totalSteps > 0 && <span className="text-slate-500">/{fmtInt(r.totalSteps)}</span>}</td>
              <td className={`${td} text-right`} data-testid="best-val-loss" data-value={r.bestValLoss?.value ?? ""}>
                {r.bestValLoss ? (
                  <>
                    <span className={r.bestValLoss.value === bestVal ? best : "text-slate-200"}>{fmtNumber(r.bestValLoss.value, 4)}</span>
                    <span className="ml-1 text-xs text-slate-500">@{r.bestValLoss.step}</span>
                  </>
                ) : "—"}
              </td>
              {evals.map((k) => {
                const e = r.evals[k];
                return (
                  <td key={k} className={`${td} text-right`} title={e ? `step ${e.step}` : undefined}>
                    <span className={e?.value === bestEval[k] ? best : "text-slate-200"}>{fmtNumber(e?.value, 3)}</span>
                  </td>
                );
              })}
              <td className={`${td} text-right text-slate-300`} title={outside.has(r.runId) ? "Not known: its trainer's batch and context are not ours to read" : undefined}>
                {outside.has(r.runId) ? "—" : fmtCompact(r.tokensSeen)}
              </td>
              <td className={`${td} pr-4 text-right`}>
                <span className={r.medianTokensPerSec === fastest ? best : "text-slate-300"}>{fmtInt(r.medianTokensPerSec)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
