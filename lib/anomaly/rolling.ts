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

/** The last `capacity` values pushed, oldest first. */
export class RollingWindow {
  private readonly buf: number[] = [];
  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`window capacity must be at least 1, got ${capacity}`);
  }
  push(x: number): void {
    this.buf.push(x);
    if (this.buf.length > this.capacity) this.buf.shift();
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
    return median(this.buf);
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
