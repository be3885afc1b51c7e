import type { SpanPoint } from "../../../lib/downsample";
import { emaSmooth, emaSmoothBySteps } from "../../../lib/smoothing";
import type { ChartSettings } from "./chart-settings";
import { pauseGaps, type XMap } from "./chart-x";

/** One series on a chart, as the page hands it over. */
export interface ChartLine {
  label: string;
  color: string;
  /** Step-sorted spans from metric.range (raw points are spans of one step). */
  points: SpanPoint[];
  xMap: XMap;
  /** Sparse (validation, benchmarks): dots, never smoothed. */
  dots?: boolean;
  /** A reference line or superseded data: dashed, never smoothed, no band. */
  dashed?: boolean;
  /** A flat reference (e.g. random chance), not data: left out of the constant-series check and the y-range. */
  reference?: boolean;
}

/**
 * What gets drawn of a line: "smooth" (the EMA), "raw" (the line through each span's last value,
 * faint beneath the EMA when there is one), and the band between "band-min" and "band-max"
 * where spans hold more than one point.
 */
export type Role = "smooth" | "raw" | "band-min" | "band-max";

export interface DrawnSeries {
  role: Role;
  /** Index of its line. */
  line: number;
  /** The one the tooltip and legend speak for: the EMA when there is one, else the raw line. */
  main: boolean;
  xs: number[];
  /** NaN where nothing can be drawn: a NaN/Inf reading, or a value ≤ 0 on a log axis. */
  ys: number[];
  spans: SpanPoint[];
  /** Segments (by their first point) across a pause in training, not drawn. */
  gaps: Set<number>;
}

const drawable = (logY: boolean) => (v: number | null) => (v === null || !Number.isFinite(v) || (logY && v <= 0) ? NaN : v);

/** Every series to draw for the lines under the page's settings, in drawing order (topmost first). */
export function drawnSeries(lines: readonly ChartLine[], s: Pick<ChartSettings, "smooth" | "smoothBy">, logY: boolean): DrawnSeries[] {
  const y = drawable(logY);
  const out: DrawnSeries[] = [];
  const below: DrawnSeries[] = [];
  lines.forEach((l, line) => {
    const xs = l.points.map((p) => l.xMap.x(p));
    const gaps = pauseGaps(l.xMap.axis, xs);
    const spans = l.points;
    const smooth = s.smooth > 0 && !l.dots && !l.dashed && spans.length > 1;
    const lasts = spans.map((p) => p.last);
    if (smooth) {
      const values = s.smoothBy === "steps" ? emaSmoothBySteps(spans.map((p) => ({ step: p.step, value: p.last })), s.smooth) : emaSmooth(lasts, s.smooth);
      // Rounded so that float noise in the EMA of a constant (an lr plateau) does not become a zigzag on a tight y-axis.
      out.push({ role: "smooth", line, main: true, xs, ys: values.map((v) => y(v === null ? v : Number(v.toPrecision(12)))), spans, gaps });
    }
    below.push({ role: "raw", line, main: !smooth, xs, ys: lasts.map(y), spans, gaps });
    if (!l.dots && !l.dashed && spans.some((p) => p.count > 1)) {
      below.push({ role: "band-min", line, main: false, xs, ys: spans.map((p) => y(p.min)), spans, gaps });
      below.push({ role: "band-max", line, main: false, xs, ys: spans.map((p) => y(p.max)), spans, gaps });
    }
  });
  return [...out, ...below];
}

/** The highest value a chart holds: band tops and raw values of its data lines, reference lines aside. */
export function chartMax(lines: readonly ChartLine[]): number | null {
  let max: number | null = null;
  for (const l of lines) {
    if (l.dashed) continue;
    for (const p of l.points) {
      const v = p.max ?? p.last;
      if (v !== null && Number.isFinite(v) && (max === null || v > max)) max = v;
    }
  }
  return max;
}

/** Index of the point nearest to x in ascending xs, or -1 when empty. */
export function nearestIndex(xs: readonly number[], x: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && x - xs[lo - 1] < xs[lo] - x ? lo - 1 : lo;
}

/**
 * The one value every data line holds at every point, or null when any differs, a reading is NaN,
 * or there are fewer than three points (too few to call constant). Reference lines aside.
 */
export function constantValue(lines: readonly ChartLine[]): number | null {
  let value: number | null = null;
  let points = 0;
  for (const l of lines) {
    if (l.reference) continue;
    for (const p of l.points) {
      for (const v of [p.last, p.min, p.max]) {
        if (v === null || !Number.isFinite(v) || (value !== null && v !== value)) return null;
        value = v;
      }
      points += p.count;
    }
  }
  return points >= 3 ? value : null;
}
