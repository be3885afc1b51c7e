import { RollingWindow } from "./rolling";
import type { AnomalyThresholds } from "./thresholds";
import { anomaly, fmt, nanAnomaly, type Anomaly } from "./types";

/**
 * Gradient-norm NaN/Inf, explosion and vanishing. The absolute ceiling and floor hold from the
 * first step; the multiple of the rolling median waits for warmup, because the norm starts high
 * and falls. The median is of every earlier value, so a lasting new scale becomes normal after
 * half a window.
 */
export class GradNormDetector {
  private readonly history: RollingWindow;
  private seen = 0;

  constructor(
    private readonly t: AnomalyThresholds,
    readonly key = "grad_norm",
  ) {
    this.history = new RollingWindow(t.window);
  }

  observe(step: number, value: number | null): Anomaly | null {
    if (value === null || !Number.isFinite(value)) return nanAnomaly(this.key, step);
    const found = this.check(step, value);
    this.history.push(value);
    this.seen++;
    return found;
  }

  private check(step: number, value: number): Anomaly | null {
    const { key } = this;
    if (value > this.t.gradCeiling) {
      return anomaly({
        type: "grad_explosion", step, value, key, threshold: this.t.gradCeiling,
        message: `${key} ${fmt(value)} at step ${step} is above the ceiling ${fmt(this.t.gradCeiling)}`,
      });
    }
    if (value < this.t.gradFloor) {
      return anomaly({
        type: "grad_vanishing", step, value, key, threshold: this.t.gradFloor,
        message: `${key} ${value.toExponential(2)} at step ${step} is below the floor ${this.t.gradFloor.toExponential(0)}: gradients have vanished`,
      });
    }
    if (this.seen < this.t.warmup || this.history.length === 0) return null;
    const med = this.history.median();
    const limit = this.t.gradExplodeMultiple * med;
    if (value <= limit) return null;
    return anomaly({
      type: "grad_explosion", step, value, key, threshold: limit,
      message: `${key} ${fmt(value)} at step ${step} is ${fmt(value / med)}× the median ${fmt(med)} of the last ${this.history.length} points (threshold ${fmt(this.t.gradExplodeMultiple)}×)`,
    });
  }
}
