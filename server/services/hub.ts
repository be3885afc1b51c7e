import type { Server } from "socket.io";
import { DATASETS_ROOM, EV, roomOf, RUNS_ROOM, type MetricPoint } from "../../lib/protocol";
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
}
