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

/** A span of a stored series, summarised for a chart: a line through `last`, a band from min to max. */
export interface Bucket {
  fromStep: number;
  /** The step of `last`: the greatest step in the span. */
  toStep: number;
  /** Finite extremes; null when the span holds only NaN/Inf. */
  min: number | null;
  max: number | null;
  /** The value at toStep; null for NaN/Inf. */
  last: number | null;
  /** Wall time of `last`. */
  wallTime: number;
  count: number;
  /** Points stored as null (NaN or Infinity). */
  nanCount: number;
}

/** One stored point as a bucket of its own. */
export function pointBucket(p: { step: number; value: number | null; wallTime: number }): Bucket {
  const nan = p.value === null ? 1 : 0;
  return { fromStep: p.step, toStep: p.step, min: p.value, max: p.value, last: p.value, wallTime: p.wallTime, count: 1, nanCount: nan };
}

/**
 * Merges step-sorted, non-overlapping buckets into at most `budget` buckets spread evenly over the
 * steps [from, to]. Each input lands whole in one output, so no extreme and no NaN can be lost.
 */
export function mergeBuckets(items: Bucket[], from: number, to: number, budget: number): Bucket[] {
  const out: Bucket[] = [];
  const span = to - from + 1;
  let slot = -1;
  for (const b of items) {
    const s = Math.min(budget - 1, Math.max(0, Math.floor(((b.fromStep - from) * budget) / span)));
    const cur = out[out.length - 1];
    if (s !== slot) {
      out.push({ ...b });
      slot = s;
      continue;
    }
    cur.toStep = b.toStep;
    cur.last = b.last;
    cur.wallTime = b.wallTime;
    cur.count += b.count;
    cur.nanCount += b.nanCount;
    if (b.min !== null && (cur.min === null || b.min < cur.min)) cur.min = b.min;
    if (b.max !== null && (cur.max === null || b.max > cur.max)) cur.max = b.max;
  }
  return out;
}

/**
 * The coarsest of the (ascending) bucket widths that still splits `span` steps into at least
 * `budget` buckets, or null when even the finest is too coarse and raw points must be read.
 */
export function coarsestWidth(widths: readonly number[], span: number, budget: number): number | null {
  let best: number | null = null;
  for (const w of widths) if (span / w >= budget) best = w;
  return best;
}

/**
 * A chart point as metric.range sends it: the line goes through `last` at `step` (= toStep), the
 * band from min to max spans [fromStep, toStep]. A raw point is a span of one step.
 */
export interface SpanPoint {
  step: number;
  last: number | null;
  min: number | null;
  max: number | null;
  fromStep: number;
  toStep: number;
  wallTime: number;
  count: number;
  /** It holds a NaN or an Infinity. */
  nan: boolean;
}

export function spanOfPoint(p: { step: number; value: number | null; wallTime: number }): SpanPoint {
  return { step: p.step, last: p.value, min: p.value, max: p.value, fromStep: p.step, toStep: p.step, wallTime: p.wallTime, count: 1, nan: p.value === null };
}

/** Index of the raw (one-step) span at `step` in step-sorted spans, or -1. */
function rawIndex(spans: readonly SpanPoint[], step: number): number {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid].toStep < step) lo = mid + 1;
    else hi = mid - 1;
  }
  const s = spans[lo];
  return s && s.fromStep === step && s.toStep === step ? lo : -1;
}

/**
 * Adds live points to step-sorted spans. A point past the tail joins the last span while that span
 * is narrower than `width` steps, else starts a span of its own, so a chart following a run keeps
 * about as many spans as it was sent and every live extreme and NaN stays in some span. A point at
 * a step already shown replaces it where it is a raw point (a re-sent or redone step) and is left to
 * the next reload inside a wider span. Returns `spans` itself when nothing changed.
 */
export function appendLive(spans: SpanPoint[], incoming: readonly { step: number; value: number | null; wallTime: number }[], width: number): SpanPoint[] {
  if (incoming.length === 0) return spans;
  let out = spans;
  const own = () => (out === spans ? (out = spans.slice()) : out);
  for (const p of [...incoming].sort((a, b) => a.step - b.step)) {
    const tail = out[out.length - 1];
    if (tail && p.step <= tail.toStep) {
      const i = rawIndex(out, p.step);
      if (i >= 0) own()[i] = spanOfPoint(p);
      continue;
    }
    if (!tail || p.step - tail.fromStep >= width) {
      own().push(spanOfPoint(p));
      continue;
    }
    const v = p.value;
    own()[out.length - 1] = {
      ...tail,
      step: p.step, toStep: p.step, last: v, wallTime: p.wallTime, count: tail.count + 1, nan: tail.nan || v === null,
      min: v !== null && (tail.min === null || v < tail.min) ? v : tail.min,
      max: v !== null && (tail.max === null || v > tail.max) ? v : tail.max,
    };
  }
  return out;
}
