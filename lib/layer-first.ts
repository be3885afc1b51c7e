/**
 * Which layer went first at a spike: the earliest stats step, among the last FIRST_LAYER_WINDOW
 * stats steps at or before the alert's step, where some row's grad_norm exceeds FIRST_LAYER_K times
 * the median of that row's FIRST_LAYER_BASELINE previous values. At that step the row with the
 * largest ratio is named. A non-finite value counts as an infinite ratio. docs/layer-stats.md.
 */
import { parseLayerKey, rowLabel, rowName, rowOrder, type LayerRow } from "./layer-stats";
import { median } from "./anomaly/rolling";

/** A row is "off" at a step when its gradient norm is this many times its recent median. */
export const FIRST_LAYER_K = 3;
/** Stats steps looked at, ending at the alert: a spike seen in the loss started at most this many stats steps earlier. */
export const FIRST_LAYER_WINDOW = 5;
/** Previous values a row's median is taken over, and the fewest it needs. */
export const FIRST_LAYER_BASELINE = 10;
export const FIRST_LAYER_MIN_BASELINE = 3;
/** The alerts this looks behind. */
export const SPIKE_ALERTS: readonly string[] = ["loss_spike", "grad_explosion", "nan"];

export interface RowSeries {
  row: LayerRow;
  /** Ascending by step; null = not finite (NaN or ±Inf). */
  points: { step: number; value: number | null }[];
}

export interface FirstLayer {
  row: LayerRow;
  step: number;
  /** null when the value was not finite. */
  value: number | null;
  median: number;
  /** value / median; Infinity for a non-finite value. */
  ratio: number;
}

export function firstLayer(series: readonly RowSeries[], alertStep: number): FirstLayer | null {
  const steps = [...new Set(series.flatMap((s) => s.points.map((p) => p.step)))].filter((s) => s <= alertStep).sort((a, b) => a - b);
  const rows = [...series].sort((a, b) => rowOrder(a.row) - rowOrder(b.row));
  for (const step of steps.slice(-FIRST_LAYER_WINDOW)) {
    let best: FirstLayer | null = null;
    for (const { row, points } of rows) {
      const i = points.findIndex((p) => p.step === step);
      if (i < 0) continue;
      const before = points.slice(0, i).flatMap((p) => (p.value !== null && Number.isFinite(p.value) ? [p.value] : [])).slice(-FIRST_LAYER_BASELINE);
      if (before.length < FIRST_LAYER_MIN_BASELINE) continue;
      const m = median(before);
      const value = points[i].value;
      const ratio = value === null || !Number.isFinite(value) ? Infinity : m > 0 ? value / m : 0;
      if (ratio > FIRST_LAYER_K && (!best || ratio > best.ratio)) best = { row, step, value: value !== null && Number.isFinite(value) ? value : null, median: m, ratio };
    }
    if (best) return best;
  }
  return null;
}

/** grad_norm series by row from metric series keyed by metric key (other keys are ignored). */
export function gradNormRows(byKey: Iterable<[string, { step: number; value: number | null }[]]>): RowSeries[] {
  const out: RowSeries[] = [];
  for (const [key, points] of byKey) {
    const parsed = parseLayerKey(key);
    if (parsed?.stat === "grad_norm" && (typeof parsed.row === "string" || parsed.row.head === undefined)) out.push({ row: parsed.row, points });
  }
  return out;
}

/** "first: block 03 grad norm 12× its median at step 118". */
export function describeFirstLayer(f: FirstLayer): string {
  const times = Number.isFinite(f.ratio) ? `${f.ratio >= 10 ? Math.round(f.ratio) : f.ratio.toFixed(1)}× its median` : "not finite";
  return `first: ${rowLabel(f.row)} grad norm ${times} at step ${f.step}`;
}

export const firstLayerRowName = (f: FirstLayer) => rowName(f.row);
