import { WindowedHistogram } from "./windowed-histogram";

const TICK_MS = 5;

/**
 * Event-loop lag: a timer every 5 ms records how late it fired. This is what
 * perf_hooks.monitorEventLoopDelay measures, but its histogram can neither be windowed nor merged
 * into another, and an operator wants the lag of the last minute, not since the start.
 */
export class LoopLag {
  readonly lag = new WindowedHistogram();
  private timer: NodeJS.Timeout | null = null;

  start() {
    let expected = performance.now() + TICK_MS;
    const tick = () => {
      const now = performance.now();
      this.lag.record(Math.max(0, now - expected));
      expected = now + TICK_MS;
      this.timer = setTimeout(tick, TICK_MS).unref();
    };
    this.timer = setTimeout(tick, TICK_MS).unref();
    return this;
  }

  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
