import { WindowedHistogram } from "./windowed-histogram";

/** Counters of the metric path since the server started, for operators and the ingest benchmark. */
export class IngestStats {
  batchesReceived = 0;
  pointsReceived = 0;
  /** Batches answered with ok: false (bad input, a refusal, a failed write). */
  batchesRefused = 0;
  pointsAcked = 0;
  pointsWritten = 0;
  flushes = 0;
  flushErrors = 0;
  /** Points enqueued and not yet durable. */
  pendingPoints = 0;
  /** Time from the start of a flush to its commit. */
  readonly flushMs = new WindowedHistogram();
  /** Time from a batch's arrival to its ack. */
  readonly ackMs = new WindowedHistogram();

  snapshot(windowS: number) {
    const { flushMs, ackMs, ...counters } = this;
    return { ...counters, flushMs: flushMs.summary(windowS), ackMs: ackMs.summary(windowS) };
  }
}
