export interface Point {
  step: number;
  value: number | null;
}

/**
 * Reduces a step-sorted series to at most about `maxPoints` points while keeping every extreme:
 * each bucket contributes its minimum and maximum (in step order), and the last point is always
 * kept, so a single spike can never disappear from the chart.
 */
export function downsampleMinMax<P extends Point>(points: P[], maxPoints: number): P[] {
  if (points.length <= maxPoints || maxPoints < 4) return points;
  const buckets = Math.floor(maxPoints / 2);
  const size = points.length / buckets;
  const out: P[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * size);
    const to = Math.min(points.length, Math.floor((b + 1) * size));
    let lo = -1;
    let hi = -1;
    for (let i = from; i < to; i++) {
      const v = points[i].value;
      // A null (NaN/Inf) point is an extreme worth seeing; keep it as the bucket's max.
      if (v === null) { hi = i; continue; }
      if (lo < 0 || v < (points[lo].value as number)) lo = i;
      if (hi < 0 || (points[hi].value !== null && v > (points[hi].value as number))) hi = i;
    }
    for (const i of [lo, hi].filter((i) => i >= 0).sort((a, b) => a - b)) {
      if (out[out.length - 1] !== points[i]) out.push(points[i]);
    }
  }
  const last = points[points.length - 1];
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

/** Merges live points into a step-sorted series: a step seen before is replaced, not doubled. */
export function mergeByStep<P extends Point>(series: P[], incoming: P[]): P[] {
  if (incoming.length === 0) return series;
  const last = series.length ? series[series.length - 1].step : -1;
  const sorted = [...incoming].sort((a, b) => a.step - b.step);
  if (sorted[0].step > last) return series.concat(sorted);
  const byStep = new Map<number, P>();
  for (const p of series) byStep.set(p.step, p);
  for (const p of sorted) byStep.set(p.step, p);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}
