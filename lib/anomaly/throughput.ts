import { median, RollingWindow } from "./rolling";
import type { AnomalyThresholds } from "./thresholds";
import { anomaly, fmt, type Anomaly } from "./types";

/**
 * Tokens/s below `throughputShare` of the rolling median for `throughputPatience` readings in a
 * row; each further low reading reports again. Single dips (GC pauses, an evaluation landing in
 * the timing) stay silent. Low readings enter the window too, so a lasting slowdown becomes the
 * new normal after half a window.
 *
 * A reading is at most one a second of wall time: a trainer that logs faster (a small model
 * logging every step, a hundred times a second) has each second's readings taken as one, their
 * median. Counted per point, five in a row were 30 ms, and any pause that long (another process,
 * the dashboard server's own ingest bursts on the same cores) fired an alert; and the window of
 * 100 points was under a second of history. A trainer logging at most once a second is judged on
 * each point as it comes, as before.
 */
export class ThroughputDetector {
  private readonly history: RollingWindow;
  private seen = 0;
  private lowRun = 0;
  /** The second being gathered, for a trainer that logs faster than once a second. */
  private pending: { second: number; step: number; values: number[] } | null = null;
  private lastWallTime: number | null = null;

  constructor(
    private readonly t: AnomalyThresholds,
    readonly key = "tokens_per_sec",
  ) {
    this.history = new RollingWindow(t.window);
  }

  /** `wallTime` (seconds) groups fast readings by second; without it every value is a reading. */
  observe(step: number, value: number | null, wallTime?: number): Anomaly | null {
    if (value === null || !Number.isFinite(value)) return null; // a timing glitch, not a fault of the run
    if (wallTime === undefined || !Number.isFinite(wallTime)) return this.reading(step, value);
    const second = Math.floor(wallTime);
    const slow = this.lastWallTime !== null && wallTime - this.lastWallTime >= 1;
    this.lastWallTime = wallTime;
    if (this.pending && this.pending.second === second) {
      this.pending.values.push(value);
      this.pending.step = step;
      return null;
    }
    const closed = this.pending ? this.reading(this.pending.step, median(this.pending.values)) : null;
    this.pending = null;
    if (slow) return closed ?? this.reading(step, value);
    this.pending = { second, step, values: [value] };
    return closed;
  }

  private reading(step: number, value: number): Anomaly | null {
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
