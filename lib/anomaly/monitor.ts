import { EvalRegressionDetector, EVAL_N_KEY } from "./eval-regression";
import { GradNormDetector } from "./grad-norm";
import { MemoryWatch, StallWatch } from "./liveness";
import { LossDetector } from "./loss";
import { AnomalyThresholds } from "./thresholds";
import { ThroughputDetector } from "./throughput";
import { nanAnomaly, type Anomaly } from "./types";

export interface ObservedPoint {
  step: number;
  key: string;
  /** null: a NaN or Inf was observed. */
  value: number | null;
  wallTime: number;
}

/**
 * All detectors of one run. Feed every metric point once, in step order per key; after a rollback,
 * the replayed steps are watched again like new ones.
 */
export class RunMonitor {
  readonly thresholds: AnomalyThresholds;
  private readonly loss: LossDetector;
  private readonly grad: GradNormDetector;
  private readonly throughput: ThroughputDetector;
  private readonly evals: EvalRegressionDetector;
  private readonly stall: StallWatch;
  private readonly mem: MemoryWatch;

  /** Throws a ZodError when a threshold is out of range. `silence` words a stall (see StallWatch). */
  constructor(thresholds?: Partial<AnomalyThresholds>, silence?: string) {
    this.thresholds = AnomalyThresholds.parse(thresholds ?? {});
    const t = this.thresholds;
    this.loss = new LossDetector(t);
    this.grad = new GradNormDetector(t);
    this.throughput = new ThroughputDetector(t);
    this.evals = new EvalRegressionDetector(t);
    this.stall = new StallWatch(t.stallSeconds, silence);
    this.mem = new MemoryWatch(t.memoryShare);
  }

  /** Feeds metric points {step, key, value: number|null, wallTime} (value null = NaN/Inf was observed). Returns the anomalies these points reveal, every anomalous point (no cooldown; callers coalesce). */
  observe(points: ObservedPoint[]): Anomaly[] {
    // An evaluation's n may come after its accuracies; at each step take it first.
    const ordered = inObservingOrder(points);
    const found: Anomaly[] = [];
    for (const p of ordered) {
      const count = EVAL_N_KEY.exec(p.key);
      if (count) {
        if (p.value !== null) this.evals.noteCount(count[1], p.step, p.value);
        continue;
      }
      const a = this.route(p);
      if (a) found.push(a);
    }
    return found;
  }

  /**
   * Feeds a run's stored history (oldest first) before a resumed trainer's first points, so its
   * detectors go on as if the run had never stopped: no second warmup, and no level learnt from a
   * handful of points. Throughput is left out: a new process (or machine) has its own speed.
   */
  seed(points: ObservedPoint[]): void {
    this.observe(points.filter((p) => p.key !== "tokens_per_sec"));
  }

  /** A heartbeat or step progress at nowMs. phase: "train" | "eval" | "checkpoint" | "setup". */
  beat(nowMs: number, step: number, phase?: string): void {
    this.stall.beat(nowMs, step, phase);
  }

  /** A stall anomaly if no step progress (phase train) or no beat at all for stallSeconds; fires once per stall, re-arms after progress. */
  checkStall(nowMs: number): Anomaly | null {
    return this.stall.check(nowMs);
  }

  /** OOM warning when rss exceeds memoryShare of the limit; fires once until usage falls back under the share. */
  memory(step: number, rssBytes: number, limitBytes: number): Anomaly | null {
    return this.mem.check(step, rssBytes, limitBytes);
  }

  private route(p: ObservedPoint): Anomaly | null {
    switch (p.key) {
      case "loss":
        return this.loss.observe(p.step, p.value);
      case "grad_norm":
        return this.grad.observe(p.step, p.value);
      case "tokens_per_sec":
        return this.throughput.observe(p.step, p.value, p.wallTime);
      case "val_loss":
        return p.value === null || !Number.isFinite(p.value) ? nanAnomaly(p.key, p.step) : null;
      default:
        return this.evals.observe(p.key, p.step, p.value);
    }
  }
}

/**
 * The points by step, counts first within a step (a stable sort, so ties keep their order). A
 * trainer's batch is nearly always in that order already, and then it is used as it came: sorting
 * with a regex in the comparator cost more than the detectors at thousands of points a second.
 */
function inObservingOrder(points: ObservedPoint[]): ObservedPoint[] {
  const rank = points.map((p) => (EVAL_N_KEY.test(p.key) ? 0 : 1));
  let sorted = true;
  for (let i = 1; i < points.length && sorted; i++) sorted = (points[i - 1].step - points[i].step || rank[i - 1] - rank[i]) <= 0;
  if (sorted) return points;
  return points
    .map((p, i) => ({ p, r: rank[i] }))
    .sort((a, b) => a.p.step - b.p.step || a.r - b.r)
    .map((x) => x.p);
}
