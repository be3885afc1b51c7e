/** A smoothing weight must leave room for new values: 0 is no smoothing, 0.999 is very heavy. */
function checkWeight(weight: number) {
  if (!(weight >= 0 && weight < 1)) throw new RangeError(`smoothing weight must be in [0, 1), got ${weight}`);
}

const finite = (v: number | null): v is number => v !== null && Number.isFinite(v);

/**
 * TensorBoard's debiased exponential moving average, over values in step order:
 *   last = last·w + (1−w)·y,  out = last / (1 − wⁿ)
 * with n the number of finite values seen so far. Dividing by 1 − wⁿ undoes the pull towards the
 * zero the state starts at. NaN, ±Infinity and null (how NaN/Inf are stored) pass through as they
 * are and leave the state alone, so one bad step cannot poison the rest of the curve.
 */
export function emaSmooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  checkWeight(weight);
  let last = 0;
  let n = 0;
  return values.map((y) => {
    if (!finite(y)) return y;
    last = last * weight + (1 - weight) * y;
    n++;
    return last / (1 - weight ** n);
  });
}

/** The median gap between consecutive distinct steps; 1 when there is none. */
export function typicalGap(steps: readonly number[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < steps.length; i++) if (steps[i] > steps[i - 1]) gaps.push(steps[i] - steps[i - 1]);
  if (gaps.length === 0) return 1;
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  return gaps.length % 2 ? gaps[mid] : (gaps[mid - 1] + gaps[mid]) / 2;
}

/**
 * The same EMA for unevenly spaced steps (sparse logging, or buckets of a zoomed chart). A finite
 * point Δ steps after the previous finite one decays the state by a = w^(Δ/τ), τ being the typical
 * gap, so w keeps its meaning (the weight of the previous point at the usual spacing) and a gap
 * counts for as many points as it spans. In half-life terms the state halves every τ·ln½/ln w steps.
 *   last = last·a + (1−a)·y,  norm = norm·a + (1−a),  out = last / norm
 * `norm` is the same average taken over a constant 1, which debiases the zero start; at even
 * spacing a = w, norm = 1 − wⁿ and the result equals emaSmooth. The first point decays by w.
 * Steps must ascend; non-finite values pass through as in emaSmooth.
 */
export function emaSmoothBySteps(
  points: readonly { step: number; value: number | null }[],
  weight: number,
  gap = typicalGap(points.map((p) => p.step)),
): (number | null)[] {
  checkWeight(weight);
  let last = 0;
  let norm = 0;
  let prev: number | null = null;
  return points.map(({ step, value }) => {
    if (!finite(value)) return value;
    const a = prev === null ? weight : weight ** ((step - prev) / gap);
    last = last * a + (1 - a) * value;
    norm = norm * a + (1 - a);
    prev = step;
    return last / norm;
  });
}
