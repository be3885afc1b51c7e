"use client";
import { Chart as ChartJS, Filler, Legend, LinearScale, LineElement, LogarithmicScale, PointElement, Tooltip } from "chart.js";
import { Scatter } from "react-chartjs-2";
import { fmtSci } from "../../../lib/planning/format";

ChartJS.register(LogarithmicScale, LinearScale, PointElement, LineElement, Filler, Tooltip, Legend);

export interface ScalingChartProps {
  runs: { label: string; compute: number; loss: number; frontier: boolean }[];
  /** The L(C) law over `computes`, with its 95% bootstrap band; null when it could not be fitted. */
  law: { computes: number[]; line: number[]; band: ({ lo: number; hi: number } | null)[]; label: string } | null;
  target: { compute: number; loss: number } | null;
}

const axis = (title: string) => ({
  type: "logarithmic" as const,
  title: { display: true, text: title, color: "#94a3b8" },
  ticks: { color: "#94a3b8", autoSkip: true, maxTicksLimit: 12, callback: (v: number | string) => fmtSci(Number(v), 0) },
  grid: { color: "#1e293b" },
});

/** Loss against compute, both on log axes: the runs, the fitted law, its band, and the budget asked about. */
export function ScalingChart({ runs, law, target }: ScalingChartProps) {
  const xy = (xs: number[], ys: (number | null)[]) => xs.flatMap((x, i) => (ys[i] === null ? [] : [{ x, y: ys[i]! }]));
  const datasets = [
    ...(law ? [
      { label: "95% band", data: xy(law.computes, law.band.map((b) => b?.hi ?? null)), showLine: true, pointRadius: 0, borderWidth: 0, backgroundColor: "rgba(129,140,248,0.18)", fill: "+1" },
      { label: "band low", data: xy(law.computes, law.band.map((b) => b?.lo ?? null)), showLine: true, pointRadius: 0, borderWidth: 0, fill: false },
      { label: law.label, data: xy(law.computes, law.line), showLine: true, pointRadius: 0, borderColor: "#818cf8", borderWidth: 2, fill: false },
    ] : []),
    { label: "runs", data: runs.filter((r) => !r.frontier).map((r) => ({ x: r.compute, y: r.loss })), pointRadius: 4, backgroundColor: "#94a3b8" },
    { label: "runs on the compute frontier", data: runs.filter((r) => r.frontier).map((r) => ({ x: r.compute, y: r.loss })), pointRadius: 5, backgroundColor: "#34d399" },
    ...(target ? [{ label: "target budget", data: [{ x: target.compute, y: target.loss }], pointRadius: 7, pointStyle: "star" as const, borderColor: "#fbbf24", backgroundColor: "#fbbf24", borderWidth: 2 }] : []),
  ];
  return (
    <div className="h-80" data-testid="scaling-chart">
      <Scatter
        options={{
          animation: false,
          maintainAspectRatio: false,
          scales: { x: axis("compute C = 6·N·D (FLOPs)"), y: { ...axis("best val loss (nats/token)"), ticks: { color: "#94a3b8", autoSkip: true, maxTicksLimit: 8, callback: (v: number | string) => Number(v).toFixed(2) } } },
          plugins: {
            legend: { labels: { color: "#cbd5e1", boxWidth: 12, filter: (item) => item.text !== "band low" } },
            tooltip: { callbacks: { label: (c) => `${c.dataset.label}: C ${fmtSci(c.parsed.x as number)} · loss ${(c.parsed.y as number).toFixed(3)}` } },
          },
        }}
        data={{ datasets }}
      />
    </div>
  );
}
