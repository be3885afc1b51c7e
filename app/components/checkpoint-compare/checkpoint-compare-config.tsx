"use client";
import { useState } from "react";
import { diffConfigs, visibleRows, type Cell } from "../../../lib/config-diff";
import { LABELS } from "../../../lib/run-config";
import { ColumnHead, type Column, type Summary } from "./checkpoint-compare-column";

const show = (v: Cell) => (v === null ? "—" : String(v));

/** Each checkpoint's run config; fields that differ from the baseline's are highlighted. */
export function CheckpointCompareConfig({ summary, columns }: { summary: Summary; columns: Column[] }) {
  const [all, setAll] = useState(false);
  const rows = diffConfigs(summary.checkpoints.map(({ config: { name: _name, ...rest } }) => rest), LABELS);
  const shown = visibleRows(rows, !all);
  const differing = rows.filter((r) => r.differs).length;
  const runs = new Set(summary.checkpoints.map((c) => c.runId)).size;
  return (
    <section className="overflow-hidden rounded-lg border border-slate-800 bg-slate-900/40" data-testid="config">
      <div className="flex flex-wrap items-center gap-3 border-b border-slate-800 px-4 py-2.5">
        <h2 className="text-sm font-semibold text-slate-200">Config</h2>
        <span className="text-xs text-slate-400" data-testid="config-count">{differing} of {rows.length} fields differ</span>
        <label className="ml-auto flex cursor-pointer items-center gap-2 text-xs text-slate-300">
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} className="h-3.5 w-3.5 accent-indigo-500" data-testid="config-all" />
          Show all
        </label>
      </div>
      {shown.length === 0 ? (
        <p className="px-4 py-6 text-sm text-slate-400">{runs === 1 ? "All checkpoints are of one run: same config, different steps." : "The runs' configs are identical."}</p>
      ) : (
        <div className="max-h-96 overflow-auto">
          <table className="w-full text-sm">
            <thead className="sticky top-0 bg-slate-900 text-left text-xs text-slate-400">
              <tr>
                <th className="px-4 py-2 font-medium">Field</th>
                {columns.map((c) => <th key={c.letter} className="px-3 py-2 font-medium"><ColumnHead column={c} /></th>)}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-800/70">
              {shown.map((row) => (
                <tr key={row.key} data-testid="config-row" data-key={row.key} data-differs={row.differs}>
                  <td className={`whitespace-nowrap px-4 py-1.5 ${row.differs ? "text-amber-200" : "text-slate-400"}`} title={row.key}>{row.label}</td>
                  {row.values.map((v, i) => {
                    const changed = i > 0 && v !== row.values[0];
                    return (
                      <td key={i} title={show(v)}
                        className={`max-w-48 truncate px-3 py-1.5 font-mono tabular-nums ${changed ? "bg-amber-400/10 font-semibold text-amber-200" : "text-slate-300"}`}>
                        {show(v)}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
