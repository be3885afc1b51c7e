import { TrendWindow } from "./rolling";
import type { AnomalyThresholds } from "./thresholds";
import { anomaly, fmt, nanAnomaly, type Anomaly } from "./types";

/** The fewest earlier values a baseline is computed from (two steps give a MAD). */
const MIN_HISTORY = 3;

/** Flagged values in a row after which the level is taken to have moved for good. */
export const ADOPT_AFTER = 20;

/**
 * Loss spikes and abnormal drops against a detrended robust baseline (see trendBaseline), and
 * NaN/Inf. A value must be both `spikeZ` (or `dropZ`) robust σ and `spikeMinRise` of the level
 * away. Flagged values stay out of the window, so a spike that lasts a few steps neither raises
 * the level nor makes the recovery look like a drop; after ADOPT_AFTER flagged values in a row
 * they are taken in, and a level that has really moved becomes the new normal.
 */
export class LossDetector {
  private readonly history: TrendWindow;
  private seen = 0;
  /** The current run of flagged values, held out of the window. */
  private flagged: number[] = [];

  constructor(
    private readonly t: AnomalyThresholds,
    readonly key = "loss",
  ) {
    this.history = new TrendWindow(t.window);
  }

  observe(step: number, value: number | null): Anomaly | null {
    if (value === null || !Number.isFinite(value)) return nanAnomaly(this.key, step);
    const found = this.seen >= this.t.warmup && this.history.length >= MIN_HISTORY ? this.check(step, value) : null;
    this.seen++;
    if (!found) {
      this.flagged = [];
      this.history.push(value);
    } else if (this.flagged.push(value) >= ADOPT_AFTER) {
      for (const v of this.flagged) this.history.push(v);
      this.flagged = [];
    }
    return found;
  }

  private check(step: number, value: number): Anomaly | null {
    const { level, sigma } = this.history.baseline(undefined, this.flagged.length + 1);
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
