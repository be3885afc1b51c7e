import { RollingWindow, trendBaseline } from "./rolling";
import type { AnomalyThresholds } from "./thresholds";
import { anomaly, fmt, nanAnomaly, type Anomaly } from "./types";

/** The fewest earlier values a baseline is computed from (two steps give a MAD). */
const MIN_HISTORY = 3;

/**
 * Loss spikes and abnormal drops against a detrended robust baseline (see trendBaseline), and
 * NaN/Inf. A value must be both `spikeZ` (or `dropZ`) robust σ and `spikeMinRise` of the level
 * away. Every value enters the window, flagged or not: medians ignore a lone outlier, and a level
 * that has really moved becomes the new level after a few samples instead of alarming forever.
 */
export class LossDetector {
  private readonly history: RollingWindow;
  private seen = 0;

  constructor(
    private readonly t: AnomalyThresholds,
    readonly key = "loss",
  ) {
    this.history = new RollingWindow(t.window);
  }

  observe(step: number, value: number | null): Anomaly | null {
    if (value === null || !Number.isFinite(value)) return nanAnomaly(this.key, step);
    const found = this.seen >= this.t.warmup && this.history.length >= MIN_HISTORY ? this.check(step, value) : null;
    this.history.push(value);
    this.seen++;
    return found;
  }

  private check(step: number, value: number): Anomaly | null {
    const { level, sigma } = trendBaseline(this.history.values());
    const z = (value - level) / sigma;
    const rel = (value - level) / Math.abs(level);
    const minMove = this.t.spikeMinRise * Math.abs(level);
    const over = `of the last ${this.history.length} points`;
    if (z > this.t.spikeZ && rel > this.t.spikeMinRise) {
      return anomaly({
        type: "loss_spike", step, value, key: this.key,
        threshold: level + Math.max(this.t.spikeZ * sigma, minMove),
        message: `${this.key} ${fmt(value)} at step ${step} is ${fmt(z)} robust σ (+${pct(rel)}) above the local level ${fmt(level)} ${over} (threshold ${fmt(this.t.spikeZ)}σ and +${pct(this.t.spikeMinRise)})`,
      });
    }
    if (z < -this.t.dropZ && rel < -this.t.spikeMinRise) {
      return anomaly({
        type: "loss_drop", step, value, key: this.key,
        threshold: level - Math.max(this.t.dropZ * sigma, minMove),
        message: `${this.key} ${fmt(value)} at step ${step} is ${fmt(-z)} robust σ (−${pct(-rel)}) below the local level ${fmt(level)} ${over} (threshold ${fmt(this.t.dropZ)}σ and −${pct(this.t.spikeMinRise)})`,
      });
    }
    return null;
  }
}

const pct = (x: number) => `${fmt(100 * x)}%`;
