"use client";
import { isLogScale, X_AXES, type CompareParams } from "../compare/params";
import { isSparse, metricTitle } from "../compare/metrics";

function Chip({ on, onClick, children, testId }: { on: boolean; onClick: () => void; children: React.ReactNode; testId: string }) {
  return (
    <button type="button" onClick={onClick} aria-pressed={on} data-testid={testId}
      className={`rounded-full px-2.5 py-0.5 text-xs ring-1 ring-inset transition-colors ${on ? "bg-indigo-500/20 text-indigo-200 ring-indigo-400/50" : "text-slate-400 ring-slate-700 hover:text-slate-200"}`}>
      {children}
    </button>
  );
}

const toggle = (list: string[], item: string) => (list.includes(item) ? list.filter((x) => x !== item) : [...list, item]);

/** Which charts, which on a log scale, the x-axis and smoothing; every change lands in the URL. */
export function CompareControls({ available, params, onChange }: {
  available: string[]; params: CompareParams; onChange: (change: Partial<CompareParams>) => void;
}) {
  const shown = params.metrics ?? available;
  const label = "w-20 shrink-0 text-xs font-medium uppercase tracking-wide text-slate-500";
  return (
    <div className="space-y-2.5 rounded-lg border border-slate-800 bg-slate-900/40 px-4 py-3" data-testid="compare-controls">
      <div className="flex flex-wrap items-center gap-1.5">
        <span className={label}>Charts</span>
        {available.map((m) => (
          <Chip key={m} testId={`metric-toggle-${m}`} on={shown.includes(m)}
            onClick={() => {
              const next = available.filter((k) => (k === m ? !shown.includes(m) : shown.includes(k)));
              // All on is the default, which also picks up benchmarks that start reporting later.
              onChange({ metrics: next.length === available.length ? null : next });
            }}>
            {metricTitle(m)}
          </Chip>
        ))}
      </div>
      <div className="flex flex-wrap items-center gap-1.5">
        <span className={label}>Log y</span>
        {shown.map((m) => (
          <Chip key={m} testId={`log-toggle-${m}`} on={isLogScale(params, m)}
            onClick={() => onChange({ log: toggle(available.filter((k) => isLogScale(params, k)), m) })}>
            {metricTitle(m)}
          </Chip>
        ))}
      </div>
      <div className="flex flex-wrap items-center gap-x-6 gap-y-2">
        <div className="flex items-center gap-1.5">
          <span className={label}>X-axis</span>
          <div className="inline-flex overflow-hidden rounded-md ring-1 ring-slate-700">
            {X_AXES.map((x) => (
              <button key={x} type="button" data-testid={`x-axis-${x}`} aria-pressed={params.x === x} onClick={() => onChange({ x })}
                className={`px-2.5 py-0.5 text-xs ${params.x === x ? "bg-indigo-500/25 text-indigo-100" : "text-slate-400 hover:bg-slate-800 hover:text-slate-200"}`}>
                {x}
              </button>
            ))}
          </div>
        </div>
        <label className="flex items-center gap-2 text-xs text-slate-400" title={`Exponential moving average of dense series (not ${shown.filter(isSparse).map(metricTitle).join(", ") || "sparse ones"}); the raw line stays faint beneath`}>
          <span className={label}>Smoothing</span>
          <input type="range" min={0} max={0.99} step={0.01} value={params.smooth} data-testid="smoothing"
            onChange={(e) => onChange({ smooth: Number(e.target.value) })} className="w-40 accent-indigo-500" />
          <span className="w-8 font-mono tabular-nums text-slate-300">{params.smooth.toFixed(2)}</span>
        </label>
      </div>
    </div>
  );
}
