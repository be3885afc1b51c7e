import { RollingWindow } from "./rolling";
import type { AnomalyThresholds } from "./thresholds";
import { anomaly, fmt, type Anomaly } from "./types";

/**
 * Tokens/s below `throughputShare` of the rolling median for `throughputPatience` readings in a
 * row; each further low reading reports again. Single dips (GC pauses, an evaluation landing in
 * the timing) stay silent. Low readings enter the window too, so a lasting slowdown becomes the
 * new normal after half a window.
 */
export class ThroughputDetector {
  private readonly history: RollingWindow;
  private seen = 0;
  private lowRun = 0;

  constructor(
    private readonly t: AnomalyThresholds,
    readonly key = "tokens_per_sec",
  ) {
    this.history = new RollingWindow(t.window);
  }

  observe(step: number, value: number | null): Anomaly | null {
    if (value === null || !Number.isFinite(value)) return null; // a timing glitch, not a fault of the run
    const found = this.check(step, value);
    this.history.push(value);
    this.seen++;
    return found;
  }

  private check(step: number, value: number): Anomaly | null {
    if (this.seen < this.t.warmup || this.history.length === 0) return null;
    const med = this.history.median();
    const limit = this.t.throughputShare * med;
    this.lowRun = value < limit ? this.lowRun + 1 : 0;
    if (this.lowRun < this.t.throughputPatience) return null;
    return anomaly({
      type: "throughput_drop", step, value, key: this.key, threshold: limit,
      message: `${this.key} ${fmt(value)} at step ${step} is ${fmt((100 * value) / med)}% of the median ${fmt(med)} of the last ${this.history.length} points, low for ${this.lowRun} readings in a row (threshold ${fmt(100 * this.t.throughputShare)}% for ${this.t.throughputPatience})`,
    });
  }
}
