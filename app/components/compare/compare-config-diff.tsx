"use client";
import { diffConfigs, visibleRows, type Cell } from "../../../lib/config-diff";
import { LABELS } from "../../../lib/run-config";
import type { Run } from "./compare-live";

const show = (v: Cell) => (v === null ? "—" : String(v));

/**
 * Config fields side by side, one column per run. A cell that differs from the first run's is
 * highlighted, so the first run reads as the baseline the others changed.
 */
export function CompareConfigDiff({ runs, colors, hideIdentical, onHideIdentical }: {
  runs: Run[]; colors: Map<string, string>; hideIdentical: boolean; onHideIdentical: (hide: boolean) => void;
}) {
  // Names head the columns already.
  const rows = diffConfigs(runs.map(({ config: { name: _name, ...rest } }) => rest), LABELS);
  const shown = visibleRows(rows, hideIdentical);
  const differing = rows.filter((r) => r.differs).length;
  return (
    <section className="rounded-lg border border-slate-800 bg-slate-900/40">
      <div className="flex flex-wrap items-center gap-3 border-b border-slate-800 px-4 py-2.5">
        <h2 className="text-sm font-semibold text-slate-200">Config</h2>
        <span className="text-xs text-slate-400" data-testid="config-diff-count">
          {differing} of {rows.length} fields differ
        </span>
        <label className="ml-auto flex cursor-pointer items-center gap-2 text-sm text-slate-300">
          <input type="checkbox" data-testid="hide-identical" checked={hideIdentical} onChange={(e) => onHideIdentical(e.target.checked)}
            className="h-4 w-4 accent-indigo-500" />
          Hide identical
        </label>
      </div>
      {shown.length === 0 ? (
        <p className="px-4 py-6 text-sm text-slate-400">{runs.length < 2 ? "Add another run to see what differs." : "The configs are identical."}</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-sm" data-testid="config-diff">
            <thead className="text-left text-xs text-slate-400">
              <tr>
                <th className="sticky left-0 bg-slate-900 px-4 py-2 font-medium">Field</th>
                {runs.map((r) => (
                  <th key={r.id} className="whitespace-nowrap px-3 py-2 font-medium">
                    <span className="mr-1.5 inline-block h-2 w-2 rounded-full" style={{ background: colors.get(r.id) }} />
                    <span className="text-slate-200">{r.name}</span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-800/70">
              {shown.map((row) => (
                <tr key={row.key} data-testid="diff-row" data-key={row.key} data-differs={row.differs} className="hover:bg-slate-800/30">
                  <td className={`sticky left-0 whitespace-nowrap bg-slate-900 px-4 py-1.5 ${row.differs ? "text-amber-200" : "text-slate-400"}`} title={row.key}>
                    {row.label}
                  </td>
                  {row.values.map((v, i) => {
                    const changed = row.differs && i > 0 && v !== row.values[0];
                    return (
                      <td key={runs[i].id} data-changed={changed}
                        className={`max-w-64 truncate px-3 py-1.5 font-mono tabular-nums ${changed ? "bg-amber-400/10 font-semibold text-amber-200" : "text-slate-300"}`}
                        title={show(v)}>
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
