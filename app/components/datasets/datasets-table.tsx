"use client";
import Link from "next/link";
import type { RouterOutputs } from "../../../server/trpc/router";
import { fmtInt, fmtTime } from "../../lib/format";
import { useLiveDatasets } from "./use-live-datasets";

export function DatasetsTable({ initial }: { initial: RouterOutputs["dataset"]["list"] }) {
  const { datasets, progress } = useLiveDatasets(initial);
  if (datasets.length === 0)
    return <div className="rounded-lg border border-dashed border-slate-700 p-12 text-center text-slate-400">No datasets yet. Runs on <code>default</code> prepare the default mixture on first use, or <Link href="/datasets/new" className="text-indigo-300 underline">prepare one</Link>.</div>;
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-800">
      <table className="w-full text-sm" data-testid="datasets-table">
        <thead className="bg-slate-900 text-left text-xs uppercase tracking-wide text-slate-400">
          <tr>{["Name", "Id", "Status", "Documents", "Tokens", "Vocabulary", "Created"].map((h) => <th key={h} className="px-4 py-2 font-medium">{h}</th>)}</tr>
        </thead>
        <tbody className="divide-y divide-slate-800">
          {datasets.map((d) => {
            const p = progress[d.id];
            const fraction = d.status === "preparing" || d.status === "queued" ? p?.progress ?? d.progress : null;
            return (
              <tr key={d.id} className="hover:bg-slate-900/60">
                <td className="px-4 py-2"><Link href={`/datasets/${d.id}`} className="font-medium text-indigo-300 hover:underline">{d.name}</Link></td>
                <td className="px-4 py-2 font-mono text-xs text-slate-400">{d.id}</td>
                <td className="px-4 py-2">
                  {fraction === null ? <DatasetStatus status={d.status} /> : <ProgressBar fraction={fraction} label={p?.message ?? d.message ?? d.status} />}
                </td>
                <td className="px-4 py-2 font-mono tabular-nums">{fmtInt(d.documents)}</td>
                <td className="px-4 py-2 font-mono tabular-nums">{fmtInt(d.tokens)}</td>
                <td className="px-4 py-2 font-mono tabular-nums">{fmtInt(d.vocabSize)}</td>
                <td className="px-4 py-2 text-slate-400">{fmtTime(d.createdAt)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function DatasetStatus({ status }: { status: string }) {
  const tone = status === "ready" ? "text-sky-300" : status === "failed" ? "text-rose-300" : "text-slate-300";
  return <span className={`text-xs font-medium ${tone}`} data-testid="dataset-status">{status}</span>;
}

export function ProgressBar({ fraction, label }: { fraction: number; label: string }) {
  return (
    <div className="min-w-48" data-testid="dataset-progress" data-fraction={fraction.toFixed(3)}>
      <div className="h-1.5 overflow-hidden rounded bg-slate-800"><div className="h-full bg-indigo-400 transition-all" style={{ width: `${Math.round(fraction * 100)}%` }} /></div>
      <p className="mt-0.5 truncate text-xs text-slate-400">{Math.round(fraction * 100)}% · {label}</p>
    </div>
  );
}
