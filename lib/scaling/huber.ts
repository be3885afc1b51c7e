/** Hoffmann et al. 2022 fit on log L with δ = 10⁻³: quadratic within δ, linear beyond, so outliers pull little. */
export const HUBER_DELTA = 1e-3;

export function huber(r: number, delta = HUBER_DELTA): number {
  const a = Math.abs(r);
  return a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta);
}

/** d huber / d r. */
export function huberSlope(r: number, delta = HUBER_DELTA): number {
  return Math.abs(r) <= delta ? r : delta * Math.sign(r);
}
