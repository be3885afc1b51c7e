"use client";
import { useState } from "react";
import { configRows } from "../../../lib/config-view";
import type { RunConfig } from "../../../lib/run-config";

/** The run's config as a key/value table: only the fields that apply, what differs from the defaults marked. */
export function RunConfigTable({ config }: { config: RunConfig }) {
  const [changedOnly, setChangedOnly] = useState(false);
  const rows = configRows(config);
  const shown = changedOnly ? rows.filter((r) => r.changed) : rows;
  const changed = rows.filter((r) => r.changed).length;
  return (
    <div data-testid="run-config">
      <label className="mb-2 flex items-center gap-2 text-xs text-slate-400">
        <input type="checkbox" checked={changedOnly} onChange={(e) => setChangedOnly(e.target.checked)} />
        Only the {changed} field{changed === 1 ? "" : "s"} changed from the defaults
      </label>
      <table className="w-full table-fixed text-sm">
        <colgroup><col className="w-[45%]" /><col /></colgroup>
        <tbody>
          {shown.map((r) => (
            <tr key={r.key} data-changed={r.changed || undefined} className="border-t border-slate-800/70 align-top">
              <th scope="row" className="py-1 pr-3 text-left font-normal text-slate-400">
                {r.changed && <span className="mr-1 text-amber-300" title="Differs from the default">•</span>}
                {r.label}
              </th>
              <td className={`break-words py-1 font-mono tabular-nums ${r.changed ? "text-amber-100" : "text-slate-300"}`}>{r.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
