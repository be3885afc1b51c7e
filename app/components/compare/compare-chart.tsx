"use client";
import { meanSeries } from "../../../lib/run-groups";
import { useChartPage } from "../charts/chart-context";
import { isLogScale } from "../charts/chart-settings";
import type { XMap } from "../charts/chart-x";
import { MetricChart, type ChartLine } from "../charts/metric-chart";
import { useChartRange, type Ranges } from "../charts/use-chart-range";
import { isSparse } from "./compare-metrics";

export interface RunLine {
  runId: string;
  label: string;
  color: string;
  xMap: XMap;
}

/** Runs drawn as one line: their mean, with a min–max band (lib/run-groups.ts). */
export interface GroupLine {
  label: string;
  color: string;
  runIds: string[];
}

/**
 * One metric for every compared run, each in its run's colour, through the same chart and range
 * queries as the run page: zooming re-queries every run over its own steps of the window.
 */
export function CompareChart({ metric, title, runs, initial, groups }: { metric: string; title: string; runs: RunLine[]; initial: Ranges; groups?: GroupLine[] }) {
  const { settings, feed } = useChartPage();
  const range = settings.range;
  const sources = runs.map((r) => ({ runId: r.runId, keys: [metric], window: range ? r.xMap.window(range[0], range[1]) : null }));
  const { data, loading, error } = useChartRange(sources, { feed, initial });
  const sparse = isSparse(metric);
  const xOf = new Map(runs.map((r) => [r.runId, r.xMap]));
  const lines: ChartLine[] = groups
    ? groups.map((g) => ({
        label: g.runIds.length > 1 ? `${g.label} (mean of ${g.runIds.length})` : g.label, color: g.color, xMap: xOf.get(g.runIds[0])!, dots: sparse,
        points: g.runIds.length > 1 ? meanSeries(g.runIds.map((id) => data[id]?.[metric]?.points ?? [])) : (data[g.runIds[0]]?.[metric]?.points ?? []),
      }))
    : runs.map((r) => ({ label: r.label, color: r.color, xMap: r.xMap, dots: sparse, points: data[r.runId]?.[metric]?.points ?? [] }));
  // A group's band is drawn as a span's min–max is, so its chart is never in raw mode.
  const raw = !groups?.some((g) => g.runIds.length > 1) && runs.every((r) => data[r.runId]?.[metric]?.raw ?? true);
  return (
    // "contents": the chart, or the one-line stat of a constant metric, is the grid's item, not this wrapper.
    <div data-testid={`compare-chart-${metric}`} data-metric={metric} data-series={lines.length} data-log={isLogScale(settings, metric)}
      data-points={lines.reduce((n, l) => n + l.points.length, 0)} data-labels={JSON.stringify(lines.map((l) => l.label))} className="contents">
      <MetricChart id={metric} title={title} lines={lines} raw={raw} loading={loading} error={error} />
    </div>
  );
}
