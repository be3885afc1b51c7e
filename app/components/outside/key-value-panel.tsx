"use client";
import { Fragment, useState } from "react";

/** A value longer than this starts folded to a few lines (a whole config dumped into one param). */
const LONG = 160;

/**
 * A key/value table: filterable, values wrapped at word breaks (a long token still breaks rather
 * than widening the page), and nested keys (`optimizer/lr`, `model.n_layer`) with their path dimmed
 * so the last part reads first. `hidden` rows show only once the person asks for them.
 */
export function KeyValuePanel({ title, testId, rows, hidden = [], hiddenLabel = "", empty }: {
  title: string; testId: string; rows: [string, string][]; hidden?: [string, string][]; hiddenLabel?: string; empty: string;
}) {
  const [filter, setFilter] = useState("");
  const [showHidden, setShowHidden] = useState(false);
  const all = showHidden ? [...rows, ...hidden] : rows;
  const needle = filter.trim().toLowerCase();
  const shown = all.filter(([k, v]) => !needle || k.toLowerCase().includes(needle) || v.toLowerCase().includes(needle)).sort(([a], [b]) => a.localeCompare(b));
  const total = rows.length + hidden.length;
  return (
    <section className="min-w-0 rounded-lg border border-slate-800 p-4" data-testid={testId}>
      <div className="mb-2 flex flex-wrap items-center gap-x-3 gap-y-2">
        <h2 className="text-sm font-semibold text-slate-300">{title}</h2>
        <span className="text-xs text-slate-500">{needle ? `${shown.length} of ${all.length}` : all.length}</span>
        {total > 6 && (
          <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="Filter" aria-label={`Filter ${title.toLowerCase()}`}
            data-testid={`${testId}-filter`}
            className="ml-auto w-40 min-w-0 rounded-md border border-slate-700 bg-slate-900 px-2 py-1 text-xs text-slate-200 placeholder:text-slate-500" />
        )}
      </div>
      {hidden.length > 0 && (
        <label className="mb-2 flex cursor-pointer items-center gap-2 text-xs text-slate-400">
          <input type="checkbox" checked={showHidden} onChange={(e) => setShowHidden(e.target.checked)} data-testid={`${testId}-show-hidden`} className="h-3.5 w-3.5 accent-indigo-500" />
          Show {hidden.length} {hiddenLabel}
        </label>
      )}
      {total === 0 ? <p className="text-sm text-slate-500">{empty}</p> : shown.length === 0 ? <p className="text-sm text-slate-500">Nothing matches “{filter}”.</p> : (
        // On a phone the key sits above its value: two columns there would leave each a few letters wide.
        <dl className="grid grid-cols-1 gap-x-3 text-sm sm:max-h-[28rem] sm:grid-cols-[minmax(7rem,2fr)_minmax(0,3fr)] sm:overflow-y-auto" data-testid={`${testId}-table`}>
          {shown.map(([k, v]) => (
            <Fragment key={k}>
              <dt className="border-t border-slate-800/70 pt-1 font-mono text-xs leading-5 [overflow-wrap:anywhere] sm:pb-1" title={k} data-key={k}><KeyPath name={k} /></dt>
              <dd className="pb-1 font-mono text-xs leading-5 text-slate-200 sm:border-t sm:border-slate-800/70 sm:pt-1" data-value-of={k}><Value text={v} /></dd>
            </Fragment>
          ))}
        </dl>
      )}
    </section>
  );
}

/** `optimizer/adam/beta1` → dim "optimizer/adam/", bright "beta1", breakable after each separator. */
function KeyPath({ name }: { name: string }) {
  const cut = Math.max(name.lastIndexOf("/"), name.lastIndexOf("."), name.lastIndexOf(":")) + 1;
  const path = name.slice(0, cut).split(/(?<=[/.:])/);
  return (
    <>
      {path.map((part, i) => <Fragment key={i}><span className="text-slate-500">{part}</span><wbr /></Fragment>)}
      <span className="text-slate-300">{name.slice(cut)}</span>
    </>
  );
}

function Value({ text }: { text: string }) {
  const [open, setOpen] = useState(false);
  const cls = "whitespace-pre-wrap break-words [overflow-wrap:anywhere]";
  if (text === "") return <span className="text-slate-500">(empty)</span>;
  if (text.length <= LONG) return <span className={cls}>{text}</span>;
  return (
    <button type="button" onClick={() => setOpen(!open)} title={open ? "Fold" : "Show all"} className={`block w-full text-left ${cls} ${open ? "" : "line-clamp-3"} hover:text-slate-50`}>
      {text}
    </button>
  );
}
