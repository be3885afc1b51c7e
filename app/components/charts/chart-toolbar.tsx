"use client";
import { useChartPage } from "./chart-context";
import { MAX_SMOOTHING, X_AXES, X_LABELS } from "./chart-settings";
import { formatX } from "./chart-x";

const label = "text-xs font-medium uppercase tracking-wide text-slate-500";

/** One per page: smoothing, x-axis and zoom for every chart on it. `bare`: inside another panel, without a frame of its own. */
export function ChartToolbar({ bare = false }: { bare?: boolean }) {
  const { settings, change } = useChartPage();
  const { range, x } = settings;
  return (
    <div className={`flex flex-wrap items-center gap-x-6 gap-y-2 ${bare ? "" : "rounded-lg border border-slate-800 bg-slate-900/40 px-4 py-2.5"}`} data-testid="chart-toolbar">
      <label className="flex items-center gap-2" title="Exponential moving average of dense series (TensorBoard's, debiased); the raw line stays faint beneath">
        <span className={label}>Smoothing</span>
        <input type="range" min={0} max={MAX_SMOOTHING} step={0.001} value={settings.smooth} data-testid="smoothing"
          onChange={(e) => change({ smooth: Number(e.target.value) })} className="w-36 accent-indigo-500" />
        <span className="w-10 font-mono text-xs tabular-nums text-slate-300">{settings.smooth.toFixed(3).replace(/0{1,2}$/, "")}</span>
      </label>
      <label className="flex items-center gap-1.5 text-xs text-slate-400" title="Weights each point by the steps since the previous one, for series logged at uneven steps">
        <input type="checkbox" checked={settings.smoothBy === "steps"} data-testid="smoothing-steps"
          onChange={(e) => change({ smoothBy: e.target.checked ? "steps" : "points" })} className="accent-indigo-500" />
        by step gaps
      </label>
      <div className="flex items-center gap-2">
        <span className={label}>X-axis</span>
        <div className="inline-flex overflow-hidden rounded-md ring-1 ring-slate-700" data-testid="x-axis" data-value={x}>
          {X_AXES.map((a) => (
            <button key={a} type="button" data-testid={`x-axis-${a}`} aria-pressed={x === a} onClick={() => change({ x: a, range: null })}
              className={`px-2.5 py-0.5 text-xs ${x === a ? "bg-indigo-500/25 text-indigo-100" : "text-slate-400 hover:bg-slate-800 hover:text-slate-200"}`}>
              {X_LABELS[a]}
            </button>
          ))}
        </div>
      </div>
      <div className="flex items-center gap-2 text-xs text-slate-400" data-testid="zoom">
        {range ? (
          <>
            <span className="font-mono tabular-nums text-slate-300" data-testid="zoom-range">
              {formatX(x, range[0], range[1] - range[0])} – {formatX(x, range[1], range[1] - range[0])}
            </span>
            <button type="button" onClick={() => change({ range: null })} data-testid="zoom-reset"
              className="rounded border border-slate-600 px-2 py-0.5 text-slate-200 hover:bg-slate-800">Reset zoom</button>
          </>
        ) : (
          <span className="text-slate-500">Drag to zoom · shift-drag to pan · ctrl/⌘-scroll or pinch · double-click resets</span>
        )}
      </div>
    </div>
  );
}
