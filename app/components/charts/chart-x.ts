import { median } from "../../../lib/anomaly/rolling";
import type { SpanPoint } from "../../../lib/downsample";
import type { XAxis } from "./chart-settings";

/** A window the range query understands: steps, or wall-clock seconds since the epoch. */
export type QueryWindow = { xAxis: "step"; fromStep: number; toStep: number } | { xAxis: "wallTime"; fromTime: number; toTime: number };

/** One run's x-axis: where a point goes, and which stored points an x window covers. */
export interface XMap {
  axis: XAxis;
  x(p: { step: number; wallTime: number }): number;
  window(x0: number, x1: number): QueryWindow;
}

const stepWindow = (from: number, to: number): QueryWindow => ({ xAxis: "step", fromStep: Math.max(0, Math.floor(from)), toStep: Math.max(0, Math.ceil(to)) });

/** Cumulative tokens at known steps, step-ascending; tokens at step s count steps 0..s. */
export interface TokenAnchors {
  steps: number[];
  tokens: number[];
  /** Tokens per step past the last anchor (and for all steps when there are none). */
  perStep: number;
}

/**
 * Tokens seen from the logged batch sizes (rows per step): each span's steps since the previous one
 * at its batch (the middle of its min–max, exact for a constant batch and for raw points), times the
 * context. Without logged batches every step counts the configured batch.
 */
export function tokenAnchors(batch: readonly SpanPoint[], contextLength: number, configBatch: number): TokenAnchors {
  const steps: number[] = [];
  const tokens: number[] = [];
  let prevStep = -1;
  let total = 0;
  let rows = configBatch;
  for (const b of batch) {
    if (b.toStep <= prevStep) continue;
    rows = b.min !== null && b.max !== null ? (b.min + b.max) / 2 : (b.last ?? rows);
    total += (b.toStep - prevStep) * rows * contextLength;
    prevStep = b.toStep;
    steps.push(b.toStep);
    tokens.push(total);
  }
  return { steps, tokens, perStep: rows * contextLength };
}

/** First index whose value is ≥ v in an ascending array (length when none). */
function lowerBound(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Linear interpolation through (xs, ys), both ascending, extended at `slope` past the ends. */
function interpolate(xs: readonly number[], ys: readonly number[], v: number, slope: number, y0: number, x0: number): number {
  if (xs.length === 0 || v <= xs[0]) {
    const [ax, ay] = xs.length ? [xs[0], ys[0]] : [x0, y0];
    return ay + (v - ax) * slope;
  }
  const i = lowerBound(xs, v);
  if (i >= xs.length) return ys[ys.length - 1] + (v - xs[xs.length - 1]) * slope;
  const [xa, xb, ya, yb] = [xs[i - 1], xs[i], ys[i - 1], ys[i]];
  return xb === xa ? yb : ya + ((v - xa) / (xb - xa)) * (yb - ya);
}

export function tokensAt(a: TokenAnchors, step: number): number {
  return interpolate(a.steps, a.tokens, step, a.perStep, a.perStep, 0);
}

export function stepAtTokens(a: TokenAnchors, tokens: number): number {
  return a.perStep > 0 ? interpolate(a.tokens, a.steps, tokens, 1 / a.perStep, 0, a.perStep) : 0;
}

/**
 * The map for one run. `origin` is the run's first wall time (for relative time); `anchors` its
 * tokens (for tokens seen). Tokens windows become step windows widened by a step each side; time
 * windows go to the server as they are, which finds the steps exactly.
 */
export function xMap(axis: XAxis, opts: { origin?: number | null; anchors?: TokenAnchors | null } = {}): XMap {
  const origin = opts.origin ?? 0;
  const anchors = opts.anchors ?? { steps: [], tokens: [], perStep: 1 };
  switch (axis) {
    case "step":
      return { axis, x: (p) => p.step, window: stepWindow };
    case "tokens":
      return { axis, x: (p) => tokensAt(anchors, p.step), window: (a, b) => stepWindow(stepAtTokens(anchors, a) - 1, stepAtTokens(anchors, b) + 1) };
    case "wall":
      return { axis, x: (p) => p.wallTime, window: (a, b) => ({ xAxis: "wallTime", fromTime: a, toTime: b }) };
    case "relative":
      return { axis, x: (p) => p.wallTime - origin, window: (a, b) => ({ xAxis: "wallTime", fromTime: a + origin, toTime: b + origin }) };
  }
}

const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 2 });

function duration(seconds: number): string {
  const s = Math.abs(seconds);
  const sign = seconds < 0 ? "−" : "";
  if (s < 60) return `${sign}${+s.toFixed(s < 10 ? 1 : 0)}s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m${s % 60 >= 1 ? `${Math.floor(s % 60)}s` : ""}`;
  if (s < 86400) return `${sign}${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? `${Math.floor((s % 3600) / 60)}m` : ""}`;
  return `${sign}${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** A time gap this long, and this many times the run's usual gap between points, is a pause (stopped, crashed, the server away). */
const PAUSE_MIN_S = 30;
const PAUSE_FACTOR = 20;

/**
 * The segments of a line (by the index of the point they start at) that cross a pause on a time
 * axis, left undrawn so that no straight line across the pause reads as training that happened.
 * On the step and token axes a pause takes no room, so there are none.
 */
export function pauseGaps(axis: XAxis, xs: readonly number[]): Set<number> {
  const gaps = new Set<number>();
  if ((axis !== "wall" && axis !== "relative") || xs.length < 3) return gaps;
  const dts = xs.slice(1).map((x, i) => x - xs[i]);
  const positive = dts.filter((d) => d > 0);
  const threshold = Math.max(PAUSE_MIN_S, PAUSE_FACTOR * (positive.length ? median(positive) : 0));
  dts.forEach((d, i) => d >= threshold && gaps.add(i));
  return gaps;
}

/** Tick and tooltip text for an x value; `span` (the visible width) picks the wall-clock precision. */
export function formatX(axis: XAxis, v: number, span: number): string {
  switch (axis) {
    case "step":
      // Steps are whole: a fractional tick (a narrow window) is left unlabelled rather than rounded into a repeat.
      if (!Number.isInteger(v)) return "";
      return Math.abs(v) < 10_000 ? String(v) : compact.format(v);
    case "tokens":
      return compact.format(v);
    case "relative":
      return duration(v);
    case "wall": {
      const d = new Date(v * 1000);
      const time = d.toLocaleTimeString("en-GB", span < 120 ? { hour: "2-digit", minute: "2-digit", second: "2-digit" } : { hour: "2-digit", minute: "2-digit" });
      return span > 86400 ? `${d.toLocaleDateString("en-GB", { day: "numeric", month: "short" })} ${time}` : time;
    }
  }
}

/** Where a step falls on a line's x-axis, between the two points around it. */
export function xAtStep(points: readonly SpanPoint[], map: XMap, step: number): number | null {
  if (map.axis === "step") return step;
  if (points.length === 0) return null;
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].step < step) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return map.x(points[0]);
  if (lo === points.length) return map.x(points[points.length - 1]);
  const [a, b] = [points[lo - 1], points[lo]];
  const [xa, xb] = [map.x(a), map.x(b)];
  return xa + ((step - a.step) / (b.step - a.step)) * (xb - xa);
}
