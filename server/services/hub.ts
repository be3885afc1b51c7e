import type { Server } from "socket.io";
import { EV, roomOf, RUNS_ROOM, type MetricPoint } from "../../lib/protocol";
import type { RunSummary } from "./runs";

/** The only place that pushes to browsers: per-run rooms and the runs-table room. */
export class Hub {
  constructor(private io: Server | null) {}

  metrics(runId: string, points: MetricPoint[]) {
    this.io?.to(roomOf(runId)).emit(EV.metricBatch, { runId, points });
  }

  runChanged(run: RunSummary) {
    this.io?.to(RUNS_ROOM).to(roomOf(run.id)).emit(EV.runStatus, run);
  }

  checkpoint(runId: string, checkpoint: unknown) {
    this.io?.to(roomOf(runId)).emit(EV.checkpointNew, { runId, checkpoint });
  }
}
