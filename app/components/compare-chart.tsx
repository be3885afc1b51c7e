"use client";
import type { Point } from "../../lib/downsample";
import { isSparse } from "../compare/metrics";
import type { XAxis } from "../compare/params";
import type { TimedPoint } from "./compare-live";
import { MetricChart, type Series } from "./metric-chart";

export interface RunLine {
  label: string;
  color: string;
  points: TimedPoint[];
  /** Batch × context, for a tokens x-axis. */
  tokensPerStep: number;
  /** The run's first wall time (seconds), for a time x-axis. */
  startTime: number | null;
}

const X_NOTE: Record<XAxis, string | undefined> = { step: undefined, tokens: "x = tokens seen", time: "x = minutes since start" };

function alongX(line: RunLine, x: XAxis): Point[] {
  if (x === "tokens") return line.points.map((p) => ({ step: (p.step + 1) * line.tokensPerStep, value: p.value }));
  if (x === "time") return line.points.map((p) => ({ step: (p.wallTime - (line.startTime ?? p.wallTime)) / 60, value: p.value }));
  return line.points;
}

/** Exponential moving average, as TensorBoard's smoothing slider; a NaN reading stays a gap. */
export function smoothEma(points: Point[], weight: number): Point[] {
  let last: number | null = null;
  return points.map((p) => {
    if (p.value === null) return p;
    last = last === null ? p.value : weight * last + (1 - weight) * p.value;
    return { step: p.step, value: last };
  });
}

/**
 * One metric for every compared run, each in its run's colour. The only place the compare page
 * draws a chart, so a chart with range queries can take MetricChart's place here alone.
 */
export function CompareChart({ metric, title, lines, logY, smooth, x }: {
  metric: string; title: string; lines: RunLine[]; logY: boolean; smooth: number; x: XAxis;
}) {
  const sparse = isSparse(metric);
  const series: Series[] = lines.flatMap((line) => {
    const points = alongX(line, x);
    if (sparse || smooth === 0) return [{ label: line.label, color: line.color, points, dots: sparse }];
    // The raw line stays faintly beneath the smoothed one, so smoothing never hides a spike.
    return [{ label: line.label, color: line.color, points: smoothEma(points, smooth) }, { label: line.label, color: `${line.color}40`, points }];
  });
  return (
    <div data-testid={`compare-chart-${metric}`} data-metric={metric} data-series={lines.length} data-log={logY}
      data-points={lines.reduce((n, l) => n + l.points.length, 0)}>
      <MetricChart title={title} series={series} logY={logY} note={X_NOTE[x]} />
    </div>
  );
}
