/**
 * What kind of metric a chart shows, from its id (a metric key, or a run-page chart id such as
 * "loss" or "data/share"), which decides how it is drawn: smoothed or not, on which y bounds.
 */

/** Evaluations: validation and benchmark series, one measurement per point. */
const EVALUATION = /^(eval|evals|val|valid|validation|test)([/_.-]|$)/i;
/** Schedules and counters: set by the trainer, not measured, so any smoothing misstates them. */
const SCHEDULE = /(^|[/_.-])(lr|learning[_-]?rate|lr[_-]\w+|batch[_-]?size|bs|epoch|epochs|step|global[_-]?step|warmup|tokens[_-]?seen)$/i;

/**
 * Noisy training measurements (loss, grad norm, throughput, …) follow the smoothing slider;
 * schedules (lr, batch size) and evaluations (val loss, benchmark scores) are never smoothed, so
 * their line and tooltip read exactly what was logged.
 */
export function smoothable(id: string): boolean {
  return !EVALUATION.test(id) && !SCHEDULE.test(id) && !id.startsWith("data/epochs");
}

/** Accuracies and shares: values known to lie in [0, 1]. */
export function unitInterval(id: string): boolean {
  return /(^|[/_.-])(acc|acc_norm|accuracy|exact_match|em|f1|precision|recall)$/i.test(id) || id === "data/share" || id.startsWith("data/share/");
}

/**
 * Y bounds for a [0, 1] metric: the data's range with a margin, rounded out to tenths and kept
 * inside [0, 1], so a flat 0 reads as 0 (not the middle of −1…1) and small gaps stay visible.
 */
export function unitBounds(values: readonly number[]): { min: number; max: number } {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { min: 0, max: 1 };
  const lo = finite.reduce((a, b) => Math.min(a, b));
  const hi = finite.reduce((a, b) => Math.max(a, b));
  const pad = Math.max(0.05, (hi - lo) * 0.1);
  const min = Math.max(0, Math.floor((lo - pad) * 10) / 10);
  const max = Math.min(1, Math.ceil((hi + pad) * 10) / 10);
  return max > min ? { min, max } : { min: 0, max: 1 };
}

/**
 * The labels of a log axis: every 1, 2 and 5 × 10ᵏ over up to three decades, every power of ten
 * past that; a narrow axis (inside one decade, with none of those) labels about five evenly.
 * Returns the indexes of the ticks to label.
 */
export function logLabelled(values: readonly number[]): Set<number> {
  const out = new Set<number>();
  if (values.length === 0) return out;
  const lo = values.reduce((a, b) => Math.min(a, b));
  const hi = values.reduce((a, b) => Math.max(a, b));
  const decades = Math.log10(hi / lo);
  const marks = decades > 3 ? [1] : [1, 2, 5];
  values.forEach((v, i) => {
    const significand = v / 10 ** Math.floor(Math.log10(v) + 1e-9);
    if (marks.some((m) => Math.abs(significand - m) < 1e-6)) out.add(i);
  });
  // Very wide axes: every other power of ten at most about eight labels.
  if (out.size > 8) {
    const every = Math.ceil(out.size / 8);
    [...out].forEach((i, n) => n % every !== 0 && out.delete(i));
  }
  if (out.size < 2) {
    const every = Math.max(1, Math.ceil(values.length / 5));
    values.forEach((_, i) => i % every === 0 && out.add(i));
    out.add(values.length - 1);
  }
  return out;
}

/** The largest 1, 2 or 5 × 10ᵏ at or below v (v > 0): a log axis starting there has a labelled bottom. */
export function logFloor(v: number): number {
  const decade = 10 ** Math.floor(Math.log10(v) + 1e-9);
  const m = [5, 2, 1].find((c) => c * decade <= v * (1 + 1e-9)) ?? 1;
  return Number((m * decade).toPrecision(12));
}

/** The smallest 1, 2 or 5 × 10ᵏ at or above v (v > 0): a log axis ending there has a labelled top. */
export function logCeil(v: number): number {
  const decade = 10 ** Math.floor(Math.log10(v) + 1e-9);
  const m = [1, 2, 5, 10].find((c) => c * decade >= v * (1 - 1e-9)) ?? 10;
  return Number((m * decade).toPrecision(12));
}
