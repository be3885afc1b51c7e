"use client";
import { GROUP_BY, type GroupBy } from "../../../lib/run-groups";
import { ChartToolbar } from "../charts/chart-toolbar";
import { metricTitle } from "./compare-metrics";
import { isLogScale, type CompareParams } from "./compare-params";

const GROUP_LABELS: Record<GroupBy, string> = { none: "none", seed: "same config but the seed", project: "project", labels: "labels" };

function Chip({ on, onClick, children, testId }: { on: boolean; onClick: () => void; children: React.ReactNode; testId: string }) {
  return (
    <button type="button" onClick={onClick} aria-pressed={on} data-testid={testId}
      className={`rounded-full px-2.5 py-0.5 text-xs ring-1 ring-inset transition-colors ${on ? "bg-indigo-500/20 text-indigo-200 ring-indigo-400/50" : "text-slate-400 ring-slate-700 hover:text-slate-200"}`}>
      {children}
    </button>
  );
}

const toggle = (list: string[], item: string) => (list.includes(item) ? list.filter((x) => x !== item) : [...list, item]);

/** Which charts, which on a log scale, and the page's chart toolbar; every change lands in the URL. */
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
      <div className="flex flex-wrap items-center gap-1.5">
        <span className={label}>Group</span>
        {GROUP_BY.map((g) => (
          <Chip key={g} testId={`group-${g}`} on={params.group === g} onClick={() => onChange({ group: g })}>{GROUP_LABELS[g]}</Chip>
        ))}
        {params.group !== "none" && <span className="text-xs text-slate-500">each group: its mean, with a band from its lowest to its highest run</span>}
      </div>
      <ChartToolbar bare />
    </div>
  );
}
