/** Robust rolling statistics shared by the detectors. */

/** 1.4826 · MAD estimates the standard deviation of normally distributed data. */
export const MAD_TO_SIGMA = 1.4826;

/** Median of the values (NaN for none); does not modify its input. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median absolute deviation from center (default: the median). */
export function mad(xs: readonly number[], center = median(xs)): number {
  return median(xs.map((x) => Math.abs(x - center)));
}

/** Robust standard deviation: 1.4826 · MAD. */
export function robustSigma(xs: readonly number[]): number {
  return MAD_TO_SIGMA * mad(xs);
}

/** Consecutive differences x[i] − x[i−1]. */
export function diffs(xs: readonly number[]): number[] {
  return xs.slice(1).map((x, i) => x - xs[i]);
}

/**
 * A sorted multiset of numbers, for medians at every point without sorting the window each time
 * (at thousands of points a second that sort was most of the server's work). NaN has no place in
 * an order, so a window that holds one answers through the sorting functions above.
 */
class SortedValues {
  private readonly s: number[] = [];
  private nans = 0;

  add(x: number) {
    if (Number.isNaN(x)) return void this.nans++;
    this.s.splice(upperBound(this.s, x), 0, x);
  }

  remove(x: number) {
    if (Number.isNaN(x)) return void this.nans--;
    // Equal values differ only in the sign of zero; the one that goes is the one that came.
    let i = lowerBound(this.s, x);
    while (i < this.s.length - 1 && this.s[i] === x && !Object.is(this.s[i], x)) i++;
    this.s.splice(i, 1);
  }

  get ordered(): boolean {
    return this.nans === 0;
  }

  /** The k-th smallest (0-based) of |x − center| over the values, without building them all. */
  private nthDeviation(center: number, k: number): number {
    const s = this.s;
    let left = lowerBound(s, center) - 1;
    let right = left + 1;
    for (let n = 0; ; n++) {
      const l = left >= 0 ? Math.abs(s[left] - center) : Infinity;
      const r = right < s.length ? Math.abs(s[right] - center) : Infinity;
      const take = l <= r ? l : r;
      if (n === k) return take;
      if (l <= r) left--;
      else right++;
    }
  }

  median(): number {
    const s = this.s;
    if (s.length === 0) return NaN;
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  }

  /** median(|x − center|), as mad() computes it from a sorted copy of the deviations. */
  mad(center: number): number {
    const n = this.s.length;
    if (n === 0) return NaN;
    const mid = n >> 1;
    return n % 2 ? this.nthDeviation(center, mid) : (this.nthDeviation(center, mid - 1) + this.nthDeviation(center, mid)) / 2;
  }
}

/** The first index whose value is ≥ x (> x for upperBound) in an ascending array. */
function lowerBound(s: readonly number[], x: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (s[m] < x) lo = m + 1;
    else hi = m;
  }
  return lo;
}
function upperBound(s: readonly number[], x: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (s[m] <= x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** The last `capacity` values pushed, oldest first, kept sorted too so the median costs nothing. */
export class RollingWindow {
  private readonly buf: number[] = [];
  private readonly sorted = new SortedValues();
  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`window capacity must be at least 1, got ${capacity}`);
  }
  push(x: number): void {
    this.buf.push(x);
    this.sorted.add(x);
    if (this.buf.length > this.capacity) this.sorted.remove(this.buf.shift()!);
  }
  get length(): number {
    return this.buf.length;
  }
  values(): readonly number[] {
    return this.buf;
  }
  /** The newest k values (fewer when the window holds fewer). */
  last(k: number): number[] {
    return this.buf.slice(Math.max(0, this.buf.length - k));
  }
  median(): number {
    return this.sorted.ordered ? this.sorted.median() : median(this.buf);
  }
  /** mad(values, center), equal to it to the bit. */
  mad(center = this.median()): number {
    return this.sorted.ordered ? this.sorted.mad(center) : mad(this.buf, center);
  }
}

/**
 * A rolling window that also keeps its consecutive differences in a window of their own, so
 * trendBaseline's medians of the steps need no sort per point. Same numbers as
 * trendBaseline(values()), to the bit.
 */
export class TrendWindow extends RollingWindow {
  private readonly steps: RollingWindow;
  constructor(capacity: number) {
    super(capacity);
    this.steps = new RollingWindow(Math.max(1, capacity - 1));
  }
  override push(x: number): void {
    const v = this.values();
    if (v.length > 0) this.steps.push(x - v[v.length - 1]);
    super.push(x);
  }
  baseline(span = LEVEL_SPAN, ahead = 1): { level: number; sigma: number } {
    const v = this.values();
    // A one-value window has no steps yet; the steps window then still holds nothing.
    const recent = v.slice(-span);
    const stepMedian = v.length > 1 ? this.steps.median() : NaN;
    const level = median(recent) + stepMedian * ((recent.length - 1) / 2 + ahead);
    const noise = (MAD_TO_SIGMA * (v.length > 1 ? this.steps.mad(stepMedian) : NaN)) / Math.SQRT2;
    return { level, sigma: Math.max(noise, SIGMA_FLOOR * Math.abs(level), 1e-12) };
  }
}

/** Values before the newest that set the local level; few, so the level follows a falling loss. */
export const LEVEL_SPAN = 5;
/** Noise below this fraction of the level is treated as this, so a flat series gives finite z. */
export const SIGMA_FLOOR = 1e-4;

/**
 * Where a trending, noisy series is expected `ahead` indices after its last value, and how much it
 * wanders. level: median of the last `span` values, moved along the median step (the trend) from
 * their centre. sigma: 1.4826·MAD of the steps / √2, since a step is the difference of two
 * independent noises. Medians keep single outliers from moving either.
 */
export function trendBaseline(history: readonly number[], span = LEVEL_SPAN, ahead = 1): { level: number; sigma: number } {
  const steps = diffs(history);
  const recent = history.slice(-span);
  const level = median(recent) + median(steps) * ((recent.length - 1) / 2 + ahead);
  const noise = (MAD_TO_SIGMA * mad(steps)) / Math.SQRT2;
  return { level, sigma: Math.max(noise, SIGMA_FLOOR * Math.abs(level), 1e-12) };
}
