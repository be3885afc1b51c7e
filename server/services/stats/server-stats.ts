import type { IngestStats } from "./ingest-stats";
import { LoopLag } from "./loop-lag";

/** What an operator asks a busy server: how late its event loop runs, and how the metric path keeps up. */
export class ServerStats {
  private readonly loop = new LoopLag().start();
  private readonly startedAt = Date.now();

  constructor(private ingest: IngestStats) {}

  snapshot(windowS: number) {
    const mem = process.memoryUsage();
    return {
      windowS,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      eventLoopLagMs: this.loop.lag.summary(windowS),
      ingest: this.ingest.snapshot(windowS),
      memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
    };
  }

  close() {
    this.loop.stop();
  }
}
