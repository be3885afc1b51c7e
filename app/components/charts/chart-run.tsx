"use client";
import { spanOfPoint } from "../../../lib/downsample";
import type { RouterOutputs } from "../../../server/trpc/router";
import { useChartPage } from "./chart-context";
import type { XMap } from "./chart-x";
import { MetricChart, type ChartLine, type Marker } from "./metric-chart";
import { useChartRange } from "./use-chart-range";

export interface LineSpec {
  key: string;
  label: string;
  color: string;
  dots?: boolean;
}

/**
 * One chart of a run: its keys over the page's zoom window through metric.range, following the run
 * live at full range. `reference` draws a flat dashed line (e.g. random chance) across the data.
 */
export function RunChart({ runId, id, title, subtitle, specs, xMap, markers, superseded = [], reference, unit, note }: {
  runId: string; id: string; title: string; subtitle?: string; specs: LineSpec[]; xMap: XMap; markers: Marker[];
  superseded?: ChartLine[]; reference?: { label: string; value: number }; unit?: string; note?: string;
}) {
  const { settings, feed, naive } = useChartPage();
  const window = settings.range ? xMap.window(settings.range[0], settings.range[1]) : null;
  const { data, loading, error } = useChartRange([{ runId, keys: specs.map((s) => s.key), window }], { feed, naive });
  const series = data[runId] ?? {};
  const lines: ChartLine[] = specs.map((s) => ({ label: s.label, color: s.color, dots: s.dots, xMap, points: series[s.key]?.points ?? [] }));
  const span = lines[0].points;
  if (reference && span.length)
    lines.push({ label: reference.label, color: "#64748b", dashed: true, reference: true, xMap, points: [span[0], span[span.length - 1]].map((p) => spanOfPoint({ ...p, value: reference.value })) });
  const raw = specs.every((s) => series[s.key]?.raw ?? true);
  return <MetricChart id={id} title={title} subtitle={subtitle} lines={[...lines, ...superseded]} raw={raw} loading={loading} error={error} markers={markers} unit={unit} note={note} />;
}

/** Per metric key, the points that rollbacks undid, each tagged with its attempt. */
export type SupersededMap = RouterOutputs["alert"]["superseded"];

/** The legend's name for points a rollback undid. */
export const SUPERSEDED_LABEL = "undone by rollback";

/** Amber reads on the dark background beside every series colour but an amber one, which gets light grey. */
export function supersededColor(lineColor: string): string {
  return ["#fbbf24", "#f59e0b", "#fcd34d"].includes(lineColor.toLowerCase()) ? "#cbd5e1" : "#f59e0b";
}

/** The points rollbacks undid on one key, one dashed line per attempt in a colour that stands apart from the live one's. */
export function supersededLines(superseded: SupersededMap, key: string, color: string, xMap: XMap): ChartLine[] {
  const attempts = new Map<number, SupersededMap[string]>();
  for (const p of superseded[key] ?? []) attempts.set(p.attempt, [...(attempts.get(p.attempt) ?? []), p]);
  return [...attempts.values()].map((points) => ({ label: SUPERSEDED_LABEL, color: supersededColor(color), dashed: true, xMap, points: points.map(spanOfPoint) }));
}
