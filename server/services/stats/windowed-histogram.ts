import { createHistogram, type RecordableHistogram } from "node:perf_hooks";

export interface Percentiles {
  /** Milliseconds, over the window asked for. */
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

/**
 * Durations in one histogram per wall-clock second, kept for `keepS` seconds, so a summary can be
 * asked for any recent window (perf_hooks histograms merge with add(), but cannot be windowed).
 */
export class WindowedHistogram {
  private seconds: { at: number; h: RecordableHistogram }[] = [];

  constructor(private keepS = 300) {}

  record(ms: number) {
    const at = Math.floor(Date.now() / 1000);
    let last = this.seconds.at(-1);
    if (last?.at !== at) {
      last = { at, h: createHistogram() };
      this.seconds.push(last);
      while (this.seconds.length > this.keepS) this.seconds.shift();
    }
    last.h.record(Math.max(1, Math.round(ms * 1e3)));
  }

  /** Over the last `windowS` seconds, the one under way included. */
  summary(windowS: number): Percentiles {
    const from = Math.floor(Date.now() / 1000) - windowS;
    const merged = createHistogram();
    for (const s of this.seconds) if (s.at > from) merged.add(s.h);
    if (merged.count === 0) return { p50: 0, p99: 0, max: 0, samples: 0 };
    const ms = (us: number) => Math.round(us) / 1e3;
    return { p50: ms(merged.percentile(50)), p99: ms(merged.percentile(99)), max: ms(merged.max), samples: merged.count };
  }
}
