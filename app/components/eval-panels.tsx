"use client";
import { CHANCE, type EvalTask } from "../../lib/eval/contracts";
import type { Point } from "../../lib/downsample";
import { fmtNumber } from "../lib/format";
import { PALETTE } from "./bar-chart";
import { MetricChart, type Marker } from "./metric-chart";

type SeriesMap = Record<string, Point[]>;

/** eval/<task>/<metric> keys present in a run's series, in a stable order. */
function evalKeys(series: SeriesMap) {
  return Object.keys(series)
    .filter((k) => k.startsWith("eval/") && !k.endsWith("/n"))
    .sort()
    .map((k) => {
      const [, task, metric] = k.split("/");
      return { key: k, task: task as EvalTask, metric };
    });
}

/** One chart per task metric over steps, with the random-chance line where there is one. */
export function EvalCharts({ series, synthetic, markers }: { series: SeriesMap; synthetic: Set<string>; markers: Marker[] }) {
  const keys = evalKeys(series);
  if (keys.length === 0) return null;
  return (
    <>
      {keys.map(({ key, task, metric }, i) => {
        const points = series[key];
        const chance = metric.startsWith("acc") ? CHANCE[task] : null;
        const span = points.length ? [points[0].step, points[points.length - 1].step] : [];
        return (
          <MetricChart key={key} title={`${task} ${metric}`} logY={metric === "perplexity"} note={synthetic.has(task) ? "synthetic set" : undefined} markers={markers}
            series={[
              { label: metric, color: PALETTE[i % PALETTE.length], points, dots: true },
              ...(chance !== null && span.length ? [{ label: "chance", color: "#64748b", dashed: true, points: span.map((step) => ({ step, value: chance })) }] : []),
            ]} />
        );
      })}
    </>
  );
}

/** The latest score of every task metric. */
export function EvalTable({ series, synthetic }: { series: SeriesMap; synthetic: Set<string> }) {
  const keys = evalKeys(series);
  if (keys.length === 0) return null;
  return (
    <section className="rounded-lg border border-slate-800 p-4">
      <h2 className="mb-2 text-sm font-semibold text-slate-300">Benchmarks (latest)</h2>
      <table className="w-full text-sm" data-testid="eval-table">
        <thead className="text-left text-xs uppercase text-slate-500"><tr><th className="py-1">Task</th><th>Metric</th><th>Value</th><th>Chance</th><th>Step</th><th>Examples</th></tr></thead>
        <tbody className="font-mono tabular-nums">
          {keys.map(({ key, task, metric }) => {
            const last = series[key][series[key].length - 1];
            const n = series[`eval/${task}/n`]?.find((p) => p.step === last?.step)?.value;
            const chance = metric.startsWith("acc") ? CHANCE[task] : null;
            return (
              <tr key={key} className="border-t border-slate-800">
                <td className="py-1 font-sans">{task}{synthetic.has(task) && <span className="ml-1 text-xs text-amber-300">(synthetic)</span>}</td>
                <td>{metric}</td><td>{fmtNumber(last?.value, 4)}</td><td>{chance === null ? "—" : chance.toFixed(2)}</td>
                <td>{last?.step ?? "—"}</td><td>{n ?? "—"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
