"use client";
import {
  Chart as ChartJS, Legend, LinearScale, LineElement, LogarithmicScale, PointElement, Tooltip, type ChartOptions, type ChartType, type Plugin,
} from "chart.js";
import { Line } from "react-chartjs-2";
import type { Point } from "../../lib/downsample";

ChartJS.register(LinearScale, LogarithmicScale, PointElement, LineElement, Tooltip, Legend);

/** A vertical line at a step, e.g. where an alert was raised. */
export interface Marker {
  step: number;
  label: string;
  color: string;
}

declare module "chart.js" {
  interface PluginOptionsByType<TType extends ChartType> {
    markers?: { list: Marker[] };
  }
}

/** Draws the markers over the data, each labelled at the top; nearby labels are staggered over three rows. */
const markerPlugin: Plugin<"line", { list: Marker[] }> = {
  id: "markers",
  afterDatasetsDraw(chart, _args, options) {
    const { ctx, chartArea: area, scales: { x } } = chart;
    ctx.save();
    ctx.font = "10px ui-sans-serif, system-ui, sans-serif";
    ctx.textBaseline = "top";
    options.list.forEach((m, i) => {
      const px = x.getPixelForValue(m.step);
      if (!(px >= area.left && px <= area.right)) return;
      ctx.strokeStyle = ctx.fillStyle = m.color;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(px, area.top);
      ctx.lineTo(px, area.bottom);
      ctx.stroke();
      const flip = px + 4 + ctx.measureText(m.label).width > area.right;
      ctx.textAlign = flip ? "right" : "left";
      ctx.fillText(m.label, px + (flip ? -3 : 3), area.top + 2 + (i % 3) * 12);
    });
    ctx.restore();
  },
};

export interface Series {
  label: string;
  color: string;
  points: Point[];
  /** Draw each point as a dot, for sparse series such as validation loss. */
  dots?: boolean;
  /** Drawn dashed: a reference line (e.g. random chance) or data a rollback superseded. */
  dashed?: boolean;
}

export function MetricChart({ title, series, logY = false, unit, note, markers = [] }: {
  title: string; series: Series[]; logY?: boolean; unit?: string; note?: string; markers?: Marker[];
}) {
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
      // Series split into parts (superseded attempts) share a label; the legend shows it once.
      legend: { display: series.length > 1, labels: { color: "#cbd5e1", boxWidth: 12, filter: (item, d) => d.datasets.findIndex((ds) => ds.label === item.text) === item.datasetIndex } },
      markers: { list: markers },
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
    <div className="rounded-lg border border-slate-800 bg-slate-900 p-3" data-testid={`chart-${title}`} data-points={count} data-markers={markers.length}>
      <div className="mb-1 flex items-baseline justify-between text-sm">
        <h3 className="font-medium text-slate-300">{title}{note && <span className="ml-2 rounded bg-amber-500/15 px-1.5 text-xs text-amber-300">{note}</span>}</h3>
        <span className="font-mono tabular-nums text-slate-400">
          {latest === undefined ? "no data yet" : latest === null ? "NaN" : latest.toPrecision(4)}
        </span>
      </div>
      <div className="h-56"><Line options={options} data={data} plugins={[markerPlugin]} /></div>
    </div>
  );
}
