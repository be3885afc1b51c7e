"use client";
import { CHANCE, type EvalTask } from "../../../lib/eval/contracts";
import { fmtNumber } from "../../lib/format";
import { PALETTE } from "../charts/bar-chart";
import type { LiveFeed } from "../charts/chart-live-feed";
import { RunChart } from "../charts/chart-run";
import type { XMap } from "../charts/chart-x";
import type { Marker } from "../charts/metric-chart";
import { useChartRange } from "../charts/use-chart-range";

/** eval/<task>/<metric> keys among a run's keys, in a stable order. */
export function evalKeys(keys: readonly string[]) {
  return keys
    .filter((k) => k.startsWith("eval/") && !k.endsWith("/n"))
    .sort()
    .map((k) => {
      const [, task, metric] = k.split("/");
      return { key: k, task: task as EvalTask, metric };
    });
}

/** One chart per task metric over steps, with the random-chance line where there is one. */
export function EvalCharts({ runId, keys, synthetic, markers, xMap }: { runId: string; keys: string[]; synthetic: Set<string>; markers: Marker[]; xMap: XMap }) {
  return (
    <>
      {evalKeys(keys).map(({ key, task, metric }, i) => {
        const chance = metric.startsWith("acc") ? CHANCE[task] : null;
        return (
          <RunChart key={key} runId={runId} id={key} title={`${task} ${metric}`} xMap={xMap} markers={markers}
            note={synthetic.has(task) ? "synthetic set" : undefined}
            specs={[{ key, label: metric, color: PALETTE[i % PALETTE.length], dots: true }]}
            reference={chance === null ? undefined : { label: "chance", value: chance }} />
        );
      })}
    </>
  );
}

/** The latest score of every task metric; benchmark series are sparse, so each is read whole. */
export function EvalTable({ runId, keys, synthetic, feed }: { runId: string; keys: string[]; synthetic: Set<string>; feed: LiveFeed }) {
  const shown = evalKeys(keys);
  const all = keys.filter((k) => k.startsWith("eval/"));
  const { data } = useChartRange(all.length ? [{ runId, keys: all, window: null }] : [], { feed });
  if (shown.length === 0) return null;
  const series = data[runId] ?? {};
  return (
    <section className="rounded-lg border border-slate-800 p-4">
      <h2 className="mb-2 text-sm font-semibold text-slate-300">Benchmarks (latest)</h2>
      <div className="overflow-x-auto">
      <table className="w-full text-sm" data-testid="eval-table">
        <thead className="text-left text-xs uppercase text-slate-500"><tr><th className="py-1">Task</th><th>Metric</th><th>Value</th><th>Chance</th><th>Step</th><th>Examples</th></tr></thead>
        <tbody className="font-mono tabular-nums">
          {shown.map(({ key, task, metric }) => {
            const last = series[key]?.points.at(-1);
            const n = series[`eval/${task}/n`]?.points.find((p) => p.step === last?.step)?.last;
            const chance = metric.startsWith("acc") ? CHANCE[task] : null;
            return (
              <tr key={key} className="border-t border-slate-800">
                <td className="py-1 font-sans">{task}{synthetic.has(task) && <span className="ml-1 text-xs text-amber-300">(synthetic)</span>}</td>
                <td>{metric}</td><td>{fmtNumber(last?.last, 4)}</td><td>{chance === null ? "—" : chance.toFixed(2)}</td>
                <td>{last?.step ?? "—"}</td><td>{n ?? "—"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      </div>
    </section>
  );
}
