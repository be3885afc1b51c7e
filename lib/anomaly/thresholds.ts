import { z } from "zod";

const notANumber = (issue: { code: string }) => (issue.code === "invalid_type" ? "Must be a number" : undefined);
/** Numbers only: the form converts its text before it is parsed. */
const num = (min: number, max: number) =>
  z.number({ error: notANumber }).min(min, `At least ${min}`).max(max, `At most ${max.toLocaleString("en-US")}`);
const int = (min: number, max: number) => num(min, max).int("Must be a whole number");

/**
 * Detector settings. The defaults give zero alarms on the recorded normal runs in
 * tests/fixtures/anomaly/ with a margin of about 1.5× (see docs/anomaly-detection.md), and still
 * catch every planted fault in tests/unit/anomaly-*.test.ts.
 */
export const AnomalyThresholds = z.object({
  /** Long enough for a stable MAD (100 differences), short enough to follow the loss curve. */
  window: int(10, 10_000).default(100),
  /** Early training is wild (a +9% loss bump at step 30 of a recorded run); alarms stop from 40; 50 for margin. */
  warmup: int(0, 1_000_000).default(50),
  /** Largest normal loss rise (over 5%) seen was 7.4 robust σ; 12 is 1.6× that and catches every ×1.52 spike. */
  spikeZ: num(1, 1000).default(12),
  /** Below a 5% move even a high z is noise on a nearly flat, low-noise loss; applies to drops too. */
  spikeMinRise: num(0, 10).default(0.05),
  /** Loss falls are lighter-tailed than rises: the largest normal fall (over 5%) was 4.7σ; 8 is 1.7× that. */
  dropZ: num(1, 1000).default(8),
  /** Normal runs reach 15.4× the rolling median after warmup (clipping absorbs it); 25 is 1.6× that. */
  gradExplodeMultiple: num(1, 1e6).default(25),
  /** Absolute limit, also during warmup; the largest normal norm seen (step 15, adafactor) was 19.3. */
  gradCeiling: num(0, 1e12).default(100),
  /** Under 1e-6 over ≥1e5 weights the rms gradient is below AdamW's ε (1e-8), so updates shrink to nothing. */
  gradFloor: num(0, 1).default(1e-6),
  /** Normal single readings dip to 0.39× the median (GC, a busy machine); a halving held for long is real. */
  throughputShare: num(0.01, 1).default(0.5),
  /** Normal dips under half the median last at most 2 readings; 5 is 2.5× that. */
  throughputPatience: int(1, 10_000).default(5),
  /** Heartbeats come every second; 5 minutes allows slow steps on a CPU backend. */
  stallSeconds: num(5, 86_400).default(300),
  /** A tenth of the limit left is still time to checkpoint or shrink the batch before the OOM killer acts. */
  memoryShare: num(0.1, 1).default(0.9),
  /** A 5-point fall is worth a look on any benchmark; smaller moves are left to the charts. */
  evalDrop: num(0, 1).default(0.05),
  /** One-sided 3σ: about 1 false alarm in 740 comparisons of pure sampling noise. */
  evalZ: num(0, 20).default(3),
});
export type AnomalyThresholds = z.infer<typeof AnomalyThresholds>;

export const DEFAULT_THRESHOLDS: AnomalyThresholds = AnomalyThresholds.parse({});

export const THRESHOLD_HINTS: Record<keyof AnomalyThresholds, string> = {
  window: "Samples in the rolling window the baselines are computed over (10–10,000; 100 is usual)",
  warmup: "Samples seen before spike, drop, gradient and throughput alarms may fire; early training is wild",
  spikeZ: "Loss rise, in robust standard deviations above the local level, that counts as a spike",
  spikeMinRise: "Smallest relative loss rise (or fall) that can alarm, e.g. 0.05 = 5%; keeps flat, quiet losses silent",
  dropZ: "Loss fall, in robust standard deviations below the local level, that counts as abnormal",
  gradExplodeMultiple: "Gradient norm above this multiple of its rolling median is an explosion",
  gradCeiling: "Gradient norm above this is an explosion at any time, warmup included",
  gradFloor: "Gradient norm below this means gradients have vanished",
  throughputShare: "Tokens/s below this fraction of the rolling median count as a throughput drop",
  throughputPatience: "Consecutive low tokens/s readings before alarming, so single GC pauses stay silent",
  stallSeconds: "Seconds without a heartbeat, or without a new step while training, before a stall alarm",
  memoryShare: "Fraction of the memory limit above which an out-of-memory warning is raised",
  evalDrop: "Benchmark accuracy fall between consecutive evaluations (absolute, 0.05 = 5 points) that counts",
  evalZ: "The fall must also exceed this many standard errors of the difference, given each evaluation's n",
};

export const THRESHOLD_LABELS: Record<keyof AnomalyThresholds, string> = {
  window: "Rolling window",
  warmup: "Warmup samples",
  spikeZ: "Loss spike z",
  spikeMinRise: "Minimum loss change",
  dropZ: "Loss drop z",
  gradExplodeMultiple: "Grad explosion multiple",
  gradCeiling: "Grad norm ceiling",
  gradFloor: "Grad norm floor",
  throughputShare: "Throughput share",
  throughputPatience: "Throughput patience",
  stallSeconds: "Stall seconds",
  memoryShare: "Memory share",
  evalDrop: "Eval accuracy drop",
  evalZ: "Eval drop z",
};
