/**
 * A heatmap of one per-layer statistic: rows (layers, top to bottom) × columns (steps). Each
 * column gathers the series' points whose step falls in it; its cell is the largest value (the
 * smallest for attention entropy, whose anomaly is a collapse), so a spike or a collapse in a
 * downsampled span still shows. Norms are coloured on a log scale, the rest linearly.
 */
import { rowOrder, type LayerRow, type LayerStat } from "./layer-stats";

export interface GridPoint {
  step: number;
  /** The span's largest and smallest value (metric.range), or the point's value. */
  min: number | null;
  max: number | null;
}

export interface HeatGrid {
  rows: LayerRow[];
  /** Each column's step range; one column per distinct step when they fit. */
  columns: { fromStep: number; toStep: number }[];
  /** values[row][column]; null = no point there. */
  values: (number | null)[][];
}

export const LOG_STATS: readonly LayerStat[] = ["grad_norm", "param_norm", "update_ratio", "act_rms", "act_max"];

export function heatGrid(stat: LayerStat, series: readonly { row: LayerRow; points: readonly GridPoint[] }[], maxColumns: number): HeatGrid {
  const sorted = [...series].sort((a, b) => rowOrder(a.row) - rowOrder(b.row));
  const steps = [...new Set(sorted.flatMap((s) => s.points.map((p) => p.step)))].sort((a, b) => a - b);
  const lowest = stat === "attn_entropy";
  let columns: HeatGrid["columns"];
  let columnOf: (step: number) => number;
  if (steps.length <= maxColumns) {
    const index = new Map(steps.map((s, i) => [s, i]));
    columns = steps.map((s) => ({ fromStep: s, toStep: s }));
    columnOf = (s) => index.get(s)!;
  } else {
    const first = steps[0];
    const width = Math.ceil((steps[steps.length - 1] - first + 1) / maxColumns);
    const n = Math.ceil((steps[steps.length - 1] - first + 1) / width);
    columns = Array.from({ length: n }, (_, i) => ({ fromStep: first + i * width, toStep: first + (i + 1) * width - 1 }));
    columnOf = (s) => Math.floor((s - first) / width);
  }
  const values = sorted.map(({ points }) => {
    const row: (number | null)[] = new Array(columns.length).fill(null);
    for (const p of points) {
      const v = lowest ? p.min : p.max;
      if (v === null || !Number.isFinite(v)) continue;
      const c = columnOf(p.step);
      const held = row[c];
      row[c] = held === null ? v : lowest ? Math.min(held, v) : Math.max(held, v);
    }
    return row;
  });
  return { rows: sorted.map((s) => s.row), columns, values };
}

export interface ColorScale {
  log: boolean;
  lo: number;
  hi: number;
}

/** The scale of the grid's values: log over the positive ones for norms, else linear. */
export function scaleOf(stat: LayerStat, grid: HeatGrid): ColorScale | null {
  const log = LOG_STATS.includes(stat);
  const vs = grid.values.flat().filter((v): v is number => v !== null && (!log || v > 0));
  if (vs.length === 0) return null;
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (lo === hi) [lo, hi] = log ? [lo / 2, hi * 2] : [lo - 0.5, hi + 0.5];
  return { log, lo, hi };
}

/** Where v sits on the scale, 0..1 (clamped); null for a value the scale cannot place (≤ 0 on a log scale). */
export function scalePosition(s: ColorScale, v: number): number | null {
  if (s.log && v <= 0) return null;
  const t = s.log ? (Math.log(v) - Math.log(s.lo)) / (Math.log(s.hi) - Math.log(s.lo)) : (v - s.lo) / (s.hi - s.lo);
  return Math.min(1, Math.max(0, t));
}

/** `n` evenly spaced values of the scale, low to high (geometric on a log scale), for its legend. */
export function scaleTicks(s: ColorScale, n = 5): number[] {
  return Array.from({ length: n }, (_, i) => {
    const t = i / (n - 1);
    return s.log ? Math.exp(Math.log(s.lo) + t * (Math.log(s.hi) - Math.log(s.lo))) : s.lo + t * (s.hi - s.lo);
  });
}

/** A sequential dark-to-bright ramp (blue, teal, green, yellow) that reads on the slate background. */
const RAMP: [number, number, number][] = [[30, 27, 75], [49, 46, 129], [14, 116, 144], [16, 185, 129], [190, 242, 100], [254, 240, 138]];

export function rampColor(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [RAMP[i], RAMP[i + 1]];
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** The column that holds `step`, or -1. */
export function columnOfStep(grid: HeatGrid, step: number): number {
  return grid.columns.findIndex((c) => step >= c.fromStep && step <= c.toStep);
}
