"use client";
import { useState } from "react";
import { RUN_STATUSES } from "../../../lib/protocol";
import { FILTER_OPS, formatFilter, type FilterOp, type RunsView } from "../../../lib/run-filter";

export interface FieldOption {
  /** config:<dotted key> or metric:<key>. */
  id: string;
  label: string;
}

const OP_TITLES: Record<FilterOp, string> = { "=": "equals", "!=": "differs from", ">": "above", ">=": "at least", "<": "below", "<=": "at most", "~": "contains" };

const input = "rounded-md border border-slate-700 bg-slate-950 px-2.5 py-1.5 text-sm text-slate-100 placeholder:text-slate-500 focus:border-indigo-400 focus:outline-none";

/** Search, status chips, `field op value` config filters and extra columns for the runs table. */
export function RunsFilters({ view, onChange, counts, configFields, columnOptions, labels, projects, archivedCount }: {
  view: RunsView;
  onChange: (change: Partial<RunsView>) => void;
  counts: Record<string, number>;
  configFields: FieldOption[];
  columnOptions: { group: string; options: FieldOption[] }[];
  labels: string[];
  projects: string[];
  archivedCount: number;
}) {
  const [field, setField] = useState(configFields[0]?.id.slice("config:".length) ?? "");
  const [op, setOp] = useState<FilterOp>("=");
  const [value, setValue] = useState("");
  const labelOf = (key: string) => configFields.find((f) => f.id === `config:${key}`)?.label ?? key;

  function addFilter(e: React.FormEvent) {
    e.preventDefault();
    if (!field || value.trim() === "") return;
    onChange({ filters: [...view.filters, { field, op, value: value.trim() }] });
    setValue("");
  }

  return (
    <div className="space-y-3 rounded-lg border border-slate-800 bg-slate-900/40 p-3">
      <div className="flex flex-wrap items-center gap-2">
        <input type="search" value={view.text} onChange={(e) => onChange({ text: e.target.value })} placeholder="Search name, id or any config value…"
          data-testid="runs-search" className={`${input} w-72`} />
        <div className="flex flex-wrap gap-1.5" role="group" aria-label="Status">
          {RUN_STATUSES.filter((s) => counts[s] || view.statuses.includes(s)).map((s) => {
            const on = view.statuses.includes(s);
            return (
              <button key={s} type="button" aria-pressed={on} data-testid={`status-chip-${s}`}
                onClick={() => onChange({ statuses: on ? view.statuses.filter((x) => x !== s) : [...view.statuses, s] })}
                className={`rounded-full px-2.5 py-1 text-xs ring-1 ring-inset ${on ? "bg-indigo-500/20 text-indigo-200 ring-indigo-400/50" : "text-slate-400 ring-slate-700 hover:text-slate-200"}`}>
                {s} <span className="text-slate-500">{counts[s] ?? 0}</span>
              </button>
            );
          })}
        </div>
        <select value="" onChange={(e) => e.target.value && onChange({ columns: [...view.columns, e.target.value] })}
          data-testid="add-column" className={`${input} ml-auto w-52`} aria-label="Add a column">
          <option value="">+ Column…</option>
          {columnOptions.map((g) => (
            <optgroup key={g.group} label={g.group}>
              {g.options.filter((o) => !view.columns.includes(o.id)).map((o) => <option key={o.id} value={o.id}>{o.label}</option>)}
            </optgroup>
          ))}
        </select>
      </div>

      {(labels.length > 0 || projects.length > 0 || archivedCount > 0 || view.group !== "none") && (
        <div className="flex flex-wrap items-center gap-2 text-xs" data-testid="runs-filing">
          {labels.length > 0 && <span className="font-medium uppercase tracking-wide text-slate-500">Labels</span>}
          {labels.map((l) => {
            const on = view.labels.includes(l);
            return (
              <button key={l} type="button" aria-pressed={on} data-testid={`label-chip-${l}`}
                onClick={() => onChange({ labels: on ? view.labels.filter((x) => x !== l) : [...view.labels, l] })}
                className={`rounded-full px-2.5 py-0.5 ring-1 ring-inset ${on ? "bg-indigo-500/20 text-indigo-200 ring-indigo-400/50" : "text-slate-400 ring-slate-700 hover:text-slate-200"}`}>{l}</button>
            );
          })}
          {projects.length > 0 && (
            <select value={view.project} onChange={(e) => onChange({ project: e.target.value })} aria-label="Project" data-testid="project-filter" className={`${input} py-1 text-xs`}>
              <option value="">every project</option>
              {projects.map((p) => <option key={p} value={p}>{p}</option>)}
            </select>
          )}
          <select value={view.group} onChange={(e) => onChange({ group: e.target.value as RunsView["group"] })} aria-label="Group rows" data-testid="group-rows" className={`${input} py-1 text-xs`}>
            <option value="none">no grouping</option>
            <option value="project">group by project</option>
            <option value="label">group by label</option>
          </select>
          {archivedCount > 0 && (
            <label className="flex items-center gap-1 text-slate-400">
              <input type="checkbox" checked={view.archived} onChange={(e) => onChange({ archived: e.target.checked })} data-testid="show-archived" /> show {archivedCount} archived
            </label>
          )}
        </div>
      )}

      <form onSubmit={addFilter} className="flex flex-wrap items-center gap-2" data-testid="config-filter">
        <span className="text-xs font-medium uppercase tracking-wide text-slate-500">Where</span>
        <select value={field} onChange={(e) => setField(e.target.value)} data-testid="filter-field" className={`${input} w-56`} aria-label="Config field">
          {configFields.map((f) => <option key={f.id} value={f.id.slice("config:".length)}>{f.label}</option>)}
        </select>
        <select value={op} onChange={(e) => setOp(e.target.value as FilterOp)} data-testid="filter-op" className={`${input} font-mono`} aria-label="Comparison">
          {FILTER_OPS.map((o) => <option key={o} value={o} title={OP_TITLES[o]}>{o}</option>)}
        </select>
        <input value={value} onChange={(e) => setValue(e.target.value)} placeholder="lion, 1e-3, …" data-testid="filter-value" className={`${input} w-44 font-mono`} />
        <button type="submit" data-testid="filter-add" disabled={!field || value.trim() === ""}
          className="rounded-md border border-slate-600 px-3 py-1.5 text-sm text-slate-200 hover:bg-slate-800 disabled:opacity-40">Add filter</button>
        {view.filters.map((f, i) => (
          <span key={`${formatFilter(f)}-${i}`} data-testid="filter-chip"
            className="inline-flex items-center gap-1 rounded-full bg-sky-500/15 py-0.5 pl-2.5 pr-1 font-mono text-xs text-sky-200 ring-1 ring-inset ring-sky-500/40">
            {labelOf(f.field)} {f.op} {f.value}
            <button type="button" aria-label={`Remove filter ${formatFilter(f)}`} onClick={() => onChange({ filters: view.filters.filter((_, j) => j !== i) })}
              className="rounded-full px-1 text-sky-300 hover:bg-sky-500/20">×</button>
          </span>
        ))}
      </form>
    </div>
  );
}
