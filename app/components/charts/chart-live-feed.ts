import type { MetricPoint } from "../../../lib/protocol";

type Listener = (points: MetricPoint[]) => void;

/**
 * Live metric points of a page's runs, handed to the charts that show them. The page's socket
 * handler pushes; each chart subscribes to its run and keys and buffers what it hears, so a batch
 * costs a filter per chart and no React render until the chart applies it.
 */
export class LiveFeed {
  private listeners = new Set<{ runId: string; keys: Set<string>; fn: Listener }>();
  private resets = new Set<{ runId: string; fn: () => void }>();
  private joined = new Set<string>();
  private waiting = new Set<{ runId: string; fn: () => void }>();

  push(runId: string, points: MetricPoint[]) {
    for (const l of this.listeners) {
      if (l.runId !== runId) continue;
      const mine = points.filter((p) => l.keys.has(p.key));
      if (mine.length) l.fn(mine);
    }
  }

  subscribe(runId: string, keys: readonly string[], fn: Listener): () => void {
    const l = { runId, keys: new Set(keys), fn };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** A rollback rewrote the run's history: its charts load it again. */
  reset(runId: string) {
    for (const r of this.resets) if (r.runId === runId) r.fn();
  }

  /** The page is in the run's room: from now on every new point reaches the feed. */
  markJoined(runId: string) {
    this.joined.add(runId);
    for (const w of this.waiting) if (w.runId === runId) w.fn();
  }

  markLeft(runId: string) {
    this.joined.delete(runId);
  }

  /**
   * Resolves once the page is in the run's room, so a series read after it misses no point: those
   * written before the read are in it, those after arrive live. Gives up waiting after `timeoutMs`.
   */
  whenJoined(runId: string, timeoutMs = 3000): Promise<void> {
    if (this.joined.has(runId)) return Promise.resolve();
    return new Promise((resolve) => {
      const w = { runId, fn: () => done() };
      const timer = setTimeout(() => done(), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(w);
        resolve();
      };
      this.waiting.add(w);
    });
  }

  onReset(runId: string, fn: () => void): () => void {
    const r = { runId, fn };
    this.resets.add(r);
    return () => this.resets.delete(r);
  }
}
