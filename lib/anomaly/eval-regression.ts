import type { AnomalyThresholds } from "./thresholds";
import { anomaly, fmt, type Anomaly } from "./types";

/** `eval/<task>/acc` and `eval/<task>/acc_norm`: the accuracies compared between evaluations. */
export const EVAL_ACC_KEY = /^eval\/(.+)\/(acc|acc_norm)$/;
/** `eval/<task>/n`: how many examples the evaluation at that step scored. */
export const EVAL_N_KEY = /^eval\/(.+)\/n$/;

interface Reading {
  step: number;
  value: number;
  n?: number;
}

/**
 * Benchmark accuracy regressions. Each accuracy is compared with the previous evaluation of the
 * same key; a fall counts when it is at least `evalDrop` and, where both evaluations' n are
 * known, at least `evalZ` standard errors of the difference of two binomial proportions (pooled).
 * Small subsets swing by many points between evaluations from sampling alone; this keeps them quiet.
 */
export class EvalRegressionDetector {
  private readonly previous = new Map<string, Reading>();
  private readonly counts = new Map<string, { step: number; n: number }>();

  constructor(private readonly t: AnomalyThresholds) {}

  /** Feed `eval/<task>/n` before that evaluation's accuracies. */
  noteCount(task: string, step: number, n: number): void {
    if (Number.isFinite(n) && n > 0) this.counts.set(task, { step, n });
  }

  observe(key: string, step: number, value: number | null): Anomaly | null {
    const m = EVAL_ACC_KEY.exec(key);
    if (!m || value === null || !Number.isFinite(value)) return null;
    const n = this.counts.get(m[1])?.n;
    const prev = this.previous.get(key);
    this.previous.set(key, { step, value, n });
    return prev ? this.compare(key, prev, { step, value, n }) : null;
  }

  private compare(key: string, prev: Reading, cur: Reading): Anomaly | null {
    const drop = prev.value - cur.value;
    if (!(drop >= this.t.evalDrop) || drop <= 0) return null;
    const n1 = prev.n ?? cur.n;
    const n2 = cur.n ?? prev.n;
    let needed = this.t.evalDrop;
    let zText = "";
    if (n1 !== undefined && n2 !== undefined) {
      const pooled = (prev.value * n1 + cur.value * n2) / (n1 + n2);
      const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
      const z = se > 0 ? drop / se : Infinity;
      if (z < this.t.evalZ) return null;
      needed = Math.max(needed, this.t.evalZ * se);
      zText = `, ${fmt(z)} standard errors with n ${n1} and ${n2}`;
    }
    return anomaly({
      type: "eval_regression", step: cur.step, value: cur.value, key, threshold: prev.value - needed,
      message: `${key} fell from ${fmt(prev.value)} at step ${prev.step} to ${fmt(cur.value)} at step ${cur.step} (−${fmt(drop)}${zText}; threshold −${fmt(this.t.evalDrop)} and ${fmt(this.t.evalZ)} SE)`,
    });
  }
}
