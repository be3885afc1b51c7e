"use client";
import {
  Chart as ChartJS, Legend, LinearScale, LineElement, LogarithmicScale, PointElement, Tooltip, type ChartOptions,
} from "chart.js";
import { Line } from "react-chartjs-2";
import type { Point } from "../../lib/downsample";

ChartJS.register(LinearScale, LogarithmicScale, PointElement, LineElement, Tooltip, Legend);

export interface Series {
  label: string;
  color: string;
  points: Point[];
  /** Draw each point as a dot, for sparse series such as validation loss. */
  dots?: boolean;
  /** A reference line (e.g. random chance) rather than data. */
  dashed?: boolean;
}

export function MetricChart({ title, series, logY = false, unit, note }: { title: string; series: Series[]; logY?: boolean; unit?: string; note?: string }) {
  const count = series.reduce((n, s) => n + s.points.length, 0);
  const latest = series[0]?.points[series[0].points.length - 1]?.value;
  const options: ChartOptions<"line"> = {
    animation: false,
    maintainAspectRatio: false,
    parsing: false,
    normalized: true,
    interaction: { mode: "nearest", axis: "x", intersect: false },
    scales: {
      x: { type: "linear", title: { display: true, text: "step", color: "#94a3b8" }, ticks: { color: "#94a3b8" }, grid: { color: "#1e293b" } },
      y: { type: logY ? "logarithmic" : "linear", ticks: { color: "#94a3b8" }, grid: { color: "#1e293b" } },
    },
    plugins: {
      legend: { display: series.length > 1, labels: { color: "#cbd5e1", boxWidth: 12 } },
      tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${Number(c.parsed.y).toPrecision(5)}${unit ? ` ${unit}` : ""}` } },
    },
  };
  const data = {
    datasets: series.map((s) => ({
      label: s.label,
      data: s.points.map((p) => ({ x: p.step, y: p.value ?? NaN })),
      borderColor: s.color,
      backgroundColor: s.color,
      borderWidth: 1.5,
      pointRadius: s.dots ? 2.5 : 0,
      borderDash: s.dashed ? [6, 4] : [],
      spanGaps: false,
    })),
  };
  return (
    <div className="rounded-lg border border-slate-800 bg-slate-900 p-3" data-testid={`chart-${title}`} data-points={count}>
      <div className="mb-1 flex items-baseline justify-between text-sm">
        <h3 className="font-medium text-slate-300">{title}{note && <span className="ml-2 rounded bg-amber-500/15 px-1.5 text-xs text-amber-300">{note}</span>}</h3>
        <span className="font-mono tabular-nums text-slate-400">
          {latest === undefined ? "no data yet" : latest === null ? "NaN" : latest.toPrecision(4)}
        </span>
      </div>
      <div className="h-56"><Line options={options} data={data} /></div>
    </div>
  );
}
