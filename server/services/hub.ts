import type { Server } from "socket.io";
import { ALERTS_ROOM, DATASETS_ROOM, EV, roomOf, RUNS_ROOM, type MetricPoint } from "../../lib/protocol";
import type { AlertRow } from "./alerts";
import type { RunSummary } from "./runs";

/** The only place that pushes to browsers: per-run rooms and the runs-table room. */
export class Hub {
  constructor(private io: Server | null) {}

  metrics(runId: string, points: MetricPoint[]) {
    this.io?.to(roomOf(runId)).emit(EV.metricBatch, { runId, points });
  }

  runLog(runId: string, message: string) {
    this.io?.to(roomOf(runId)).emit(EV.runLog, { runId, message, at: Date.now() });
  }

  runChanged(run: RunSummary) {
    this.io?.to(RUNS_ROOM).to(roomOf(run.id)).emit(EV.runStatus, run);
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
    this.io?.to(ALERTS_ROOM).to(roomOf(alert.runId)).emit(EV.alertNew, alert);
  }

  alertsChanged(runId: string | null) {
    this.io?.to(ALERTS_ROOM).emit(EV.alertsChanged, { runId });
  }

  rollback(runId: string, toStep: number) {
    this.io?.to(roomOf(runId)).emit(EV.runRollback, { runId, toStep });
  }

  webhookDelivery(delivery: unknown) {
    this.io?.to(ALERTS_ROOM).emit(EV.webhookDelivery, delivery);
  }
}
