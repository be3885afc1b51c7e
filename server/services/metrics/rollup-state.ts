import { WIDTHS } from "./metric-rollup";

/** One MetricRollup row of a key, without its run. */
export interface OpenBucket {
  bucket: number;
  firstStep: number;
  lastStep: number;
  min: number | null;
  max: number | null;
  last: number | null;
  lastWallTime: number;
  count: number;
  nanCount: number;
}

/** MetricRollup rows to upsert, column by column (the shape both drivers bind fastest). */
export class RollupRows {
  runId: string[] = [];
  width: number[] = [];
  key: string[] = [];
  bucket: number[] = [];
  firstStep: number[] = [];
  lastStep: number[] = [];
  min: (number | null)[] = [];
  max: (number | null)[] = [];
  last: (number | null)[] = [];
  lastWallTime: number[] = [];
  count: number[] = [];
  nanCount: number[] = [];

  get length() {
    return this.runId.length;
  }

  push(runId: string, width: number, key: string, b: OpenBucket) {
    this.runId.push(runId);
    this.width.push(width);
    this.key.push(key);
    this.bucket.push(b.bucket);
    this.firstStep.push(b.firstStep);
    this.lastStep.push(b.lastStep);
    this.min.push(b.min);
    this.max.push(b.max);
    this.last.push(b.last);
    this.lastWallTime.push(b.lastWallTime);
    this.count.push(b.count);
    this.nanCount.push(b.nanCount);
  }
}

/**
 * What the writer holds of one key of one run: its last step, its number of points, and at every
 * width the bucket its last step is in (the only one new points can still change, while they come
 * after the last step). Rows read from the database at a run's first write, then kept.
 */
export class KeyRollup {
  constructor(
    public lastStep: number,
    public total: number,
    /** By width index; null where the key has no bucket yet. */
    private open: (OpenBucket | null)[],
  ) {}

  static empty() {
    return new KeyRollup(-1, 0, WIDTHS.map(() => null));
  }

  /**
   * Folds points of strictly increasing steps, all after lastStep (value NaN for a point stored as
   * null), into the buckets, and adds every bucket they touched, each once, as it ends: to
   * `out.updated` the bucket that was open before (it has a row), to `out.created` the new ones.
   */
  append(runId: string, key: string, steps: ArrayLike<number>, values: ArrayLike<number>, wallTimes: ArrayLike<number>, out: { created: RollupRows; updated: RollupRows }) {
    const n = steps.length;
    if (n === 0) return;
    for (let level = 0; level < WIDTHS.length; level++) {
      const width = WIDTHS[level];
      let b = this.open[level];
      let touched = false;
      let stored = b !== null;
      for (let i = 0; i < n; i++) {
        const step = steps[i];
        const v = values[i];
        const value = v !== v ? null : v;
        const index = Math.floor(step / width);
        if (b && b.bucket === index) {
          b.lastStep = step;
          b.last = value;
          b.lastWallTime = wallTimes[i];
          b.count++;
          if (value === null) b.nanCount++;
          else {
            if (b.min === null || value < b.min) b.min = value;
            if (b.max === null || value > b.max) b.max = value;
          }
        } else {
          if (b && touched) (stored ? out.updated : out.created).push(runId, width, key, b);
          stored = false;
          b = { bucket: index, firstStep: step, lastStep: step, min: value, max: value, last: value, lastWallTime: wallTimes[i], count: 1, nanCount: value === null ? 1 : 0 };
        }
        touched = true;
      }
      // A row is copied by push, so the bucket still being filled may go on changing here.
      if (b && touched) (stored ? out.updated : out.created).push(runId, width, key, b);
      this.open[level] = b;
    }
    this.lastStep = steps[n - 1];
    this.total += n;
  }
}

/** A run not written for this long is forgotten (its next write reads it again). */
const IDLE_MS = 10 * 60_000;

/** The writer's KeyRollups, by run and key. */
export class RollupCache {
  private runs = new Map<string, Map<string, KeyRollup>>();
  private usedAt = new Map<string, number>();
  private sweptAt = Date.now();

  get(runId: string, key: string): KeyRollup | undefined {
    return this.runs.get(runId)?.get(key);
  }

  keysOf(runId: string): Map<string, KeyRollup> | undefined {
    return this.runs.get(runId);
  }

  /** Notes that the run is being written now, and forgets runs idle for IDLE_MS (checked once a minute). */
  use(runId: string, now = Date.now()) {
    this.usedAt.set(runId, now);
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [id, at] of this.usedAt) if (now - at > IDLE_MS) this.drop(id);
  }

  set(runId: string, key: string, state: KeyRollup) {
    let keys = this.runs.get(runId);
    if (!keys) this.runs.set(runId, (keys = new Map()));
    keys.set(key, state);
  }

  drop(runId: string, key?: string) {
    if (key !== undefined) return void this.runs.get(runId)?.delete(key);
    this.runs.delete(runId);
    this.usedAt.delete(runId);
  }

  get size() {
    return this.runs.size;
  }
}
