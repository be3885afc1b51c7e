"use client";
import { BarElement, CategoryScale, Chart as ChartJS, Legend, LinearScale, Tooltip } from "chart.js";
import { Bar } from "react-chartjs-2";

ChartJS.register(BarElement, CategoryScale, LinearScale, Tooltip, Legend);

export const PALETTE = ["#818cf8", "#f472b6", "#34d399", "#fbbf24", "#38bdf8", "#a78bfa", "#fb7185", "#4ade80"];

export function BarChart({ title, labels, series, testId }: { title: string; labels: string[]; series: { label: string; values: number[] }[]; testId?: string }) {
  return (
    <div className="rounded-lg border border-slate-800 bg-slate-900 p-3" data-testid={testId}>
      <h3 className="mb-1 text-sm font-medium text-slate-300">{title}</h3>
      <div className="h-64">
        <Bar
          options={{
            animation: false,
            maintainAspectRatio: false,
            scales: {
              x: { ticks: { color: "#94a3b8" }, grid: { color: "#1e293b" } },
              y: { ticks: { color: "#94a3b8" }, grid: { color: "#1e293b" }, beginAtZero: true },
            },
            plugins: { legend: { display: series.length > 1, labels: { color: "#cbd5e1", boxWidth: 12 } } },
          }}
          data={{ labels, datasets: series.map((s, i) => ({ label: s.label, data: s.values, backgroundColor: PALETTE[i % PALETTE.length] })) }}
        />
      </div>
    </div>
  );
}
