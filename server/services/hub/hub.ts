import type { Server } from "socket.io";
import { Adapter } from "socket.io-adapter";
import { ALERTS_ROOM, DATASETS_ROOM, EV, roomOf, RUNS_ROOM, type MetricPoint } from "../../../lib/protocol";
import type { AlertRow } from "./alert-row";
import type { RunSummary } from "./run-summary";

/** Live metric points are pushed about this often per run, in one message. */
const METRIC_PUSH_MS = 100;
/** Points per message at most; a bigger backlog goes as several. */
const METRIC_PUSH_POINTS = 20_000;

/** The only place that pushes to browsers: per-run rooms and the runs-table room. */
export class Hub {
  private metricBuffer = new Map<string, MetricPoint[]>();
  private metricTimer: NodeJS.Timeout | null = null;

  constructor(private io: Server | null) {}

  /**
   * A run's new points reach its room within METRIC_PUSH_MS, coalesced into one metric:batch
   * ({ runId, points }, the shape a trainer batch had), since charts merge points by step. At
   * tens of thousands of points a second, a message per trainer batch cost more than the points.
   */
  metrics(runId: string, points: MetricPoint[]) {
    if (!this.io) return;
    const buffered = this.metricBuffer.get(runId);
    if (buffered) for (const p of points) buffered.push(p);
    else this.metricBuffer.set(runId, points.slice());
    this.metricTimer ??= setTimeout(() => this.pushMetrics(), METRIC_PUSH_MS);
  }

  /**
   * Sends what is buffered, for one run or all. A rollback and an alert send their run's first, so
   * no undone point arrives after a rollback and an alert never comes before its point; an ack
   * sends them too (server/socket.ts).
   */
  pushMetrics(runId?: string) {
    const runIds = runId === undefined ? [...this.metricBuffer.keys()] : [runId];
    if (runId === undefined) {
      if (this.metricTimer) clearTimeout(this.metricTimer);
      this.metricTimer = null;
    }
    for (const id of runIds) {
      const points = this.metricBuffer.get(id);
      if (!points) continue;
      this.metricBuffer.delete(id);
      if (!this.io || !this.anyoneIn(roomOf(id))) continue;
      for (let i = 0; i < points.length; i += METRIC_PUSH_POINTS)
        this.io.to(roomOf(id)).emit(EV.metricBatch, { runId: id, points: i === 0 && points.length <= METRIC_PUSH_POINTS ? points : points.slice(i, i + METRIC_PUSH_POINTS) });
    }
  }

  /**
   * Whether a push to the room can reach anyone. Only socket.io's own in-memory adapter knows
   * every member; with a cluster adapter (Redis) members may be on other servers, so it is sent.
   */
  private anyoneIn(room: string) {
    const adapter = this.io!.of("/").adapter;
    if (Object.getPrototypeOf(adapter) !== Adapter.prototype) return true;
    return (adapter.rooms.get(room)?.size ?? 0) > 0;
  }

  runLog(runId: string, message: string) {
    this.io?.to(roomOf(runId)).emit(EV.runLog, { runId, message, at: Date.now() });
  }

  runChanged(run: RunSummary) {
    this.io?.to(RUNS_ROOM).to(roomOf(run.id)).emit(EV.runStatus, run);
  }

  runDeleted(runId: string) {
    this.io?.to(RUNS_ROOM).to(roomOf(runId)).emit(EV.runDeleted, { runId });
  }

  datasetChanged(dataset: { id: string }) {
    this.io?.to(DATASETS_ROOM).emit(EV.datasetStatus, dataset);
  }

  datasetProgress(p: { id: string; status: string; progress: number; stage: string; message: string }) {
    this.io?.to(DATASETS_ROOM).emit(EV.datasetProgress, p);
  }

  checkpoint(runId: string, checkpoint: unknown) {
    this.io?.to(roomOf(runId)).emit(EV.checkpointNew, { runId, checkpoint });
  }

  /** Every page's header hears of it (toast, badge); the run's page adds it to its list and charts. */
  alert(alert: AlertRow) {
    // The point that raised it reaches the page first, so the chart has it when the marker comes.
    this.pushMetrics(alert.runId);
    this.io?.to(ALERTS_ROOM).to(roomOf(alert.runId)).emit(EV.alertNew, alert);
  }

  alertsChanged(runId: string | null) {
    this.io?.to(ALERTS_ROOM).emit(EV.alertsChanged, { runId });
  }

  rollback(runId: string, toStep: number) {
    this.pushMetrics(runId);
    this.io?.to(roomOf(runId)).emit(EV.runRollback, { runId, toStep });
  }

  webhookDelivery(delivery: unknown) {
    this.io?.to(ALERTS_ROOM).emit(EV.webhookDelivery, delivery);
  }
}
