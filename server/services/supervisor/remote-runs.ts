import type { Socket } from "socket.io";
import { ACTIVE_STATUSES, EV, type RunStatus } from "../../../lib/protocol";
import type { RunConfig } from "../../../lib/run-config";
import { TrainerExitReport } from "../../../lib/worker-protocol";
import type { Db } from "../../db/db";
import type { RunService } from "../runs/runs";
import { lastError } from "../runs/trainer-log";
import type { Watch } from "./watch";

/** How often the owner looks at its remote runs' holds and exits. */
const POLL_MS = 1000;

interface Held {
  config: RunConfig;
  /** A worker has the launch; the watch follows it. */
  started: boolean;
  socket: Socket | null;
  stopRequested: boolean;
}

/**
 * The owner's side of runs that train on remote workers (config.queue set). Launching one only
 * leaves it queued for a worker to claim (workers.ts); from then on this instance, which owns the
 * run, watches it as it watches a local trainer, and ends the launch the way the supervisor ends
 * a child: when the worker says how its trainer exited, or when the worker's hold on it lapses (a
 * lost machine), the run is crashed or stopped and the restart policy decides, which queues it
 * again for another worker from its last uploaded checkpoint.
 */
export class RemoteRuns {
  private held = new Map<string, Held>();
  private timer: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(
    private db: Db,
    private runs: RunService,
    private watch: Watch | null,
  ) {}

  has(runId: string) {
    return this.held.has(runId);
  }

  launch(run: { id: string; config: RunConfig }) {
    this.held.set(run.id, { config: run.config, started: false, socket: null, stopRequested: false });
    this.schedule();
  }

  /** Takes on a remote run at takeover or boot: a worker may hold it, and gets a full TTL to reach this instance. */
  async adopt(runId: string, config: RunConfig, ttlMs: number) {
    this.held.set(runId, { config, started: false, socket: null, stopRequested: false });
    await this.db.run.updateMany({ where: { id: runId, workerId: { not: null }, workerExit: null }, data: { workerLeaseUntil: new Date(Date.now() + ttlMs) } });
    this.schedule();
  }

  attach(runId: string, socket: Socket) {
    const h = this.held.get(runId);
    if (!h) return false;
    h.socket = socket;
    if (h.stopRequested) socket.emit(EV.runStop);
    return true;
  }

  /** The worker gets the stop in its next heartbeat answer, the trainer at once where its socket is here. */
  requestStop(runId: string) {
    const h = this.held.get(runId);
    if (!h) return false;
    h.stopRequested = true;
    this.watch?.stopping(runId);
    if (h.socket?.connected) h.socket.emit(EV.runStop);
    return true;
  }

  stopAsked(runId: string) {
    return this.held.get(runId)?.stopRequested ?? false;
  }

  release(runId: string) {
    const h = this.held.get(runId);
    if (!h) return;
    this.held.delete(runId);
    if (h.started) this.watch?.ended(runId);
  }

  releaseAll() {
    for (const id of [...this.held.keys()]) this.release(id);
  }

  close() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.held.clear();
  }

  private schedule() {
    if (this.timer || this.held.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll().finally(() => this.schedule());
    }, POLL_MS);
    this.timer.unref();
  }

  /** One look at every held run: started on a worker, ended there, or lost with it. */
  async poll() {
    if (this.polling) return;
    this.polling = true;
    try {
      const rows = await this.db.run.findMany({
        where: { id: { in: [...this.held.keys()] } },
        select: { id: true, status: true, workerId: true, workerLeaseUntil: true, workerExit: true, worker: { select: { name: true, host: true } } },
      });
      const found = new Set(rows.map((r) => r.id));
      for (const id of this.held.keys()) if (!found.has(id)) this.release(id);
      for (const row of rows) await this.look(row).catch((e) => console.error(`run ${row.id}: checking its worker failed:`, e));
    } finally {
      this.polling = false;
    }
  }

  private async look(row: { id: string; status: string; workerId: string | null; workerLeaseUntil: Date | null; workerExit: string | null; worker: { name: string; host: string } | null }) {
    const h = this.held.get(row.id);
    if (!h) return;
    if (!ACTIVE_STATUSES.includes(row.status as RunStatus)) {
      // It ended (the trainer said so); the worker's hold goes with the launch.
      this.release(row.id);
      if (row.workerId) await this.db.run.updateMany({ where: { id: row.id, workerId: row.workerId }, data: { workerId: null, workerLeaseUntil: null, workerExit: null } });
      return;
    }
    if (!row.workerId) {
      // Stopped before any worker took it.
      if (row.status === "stopping") {
        this.release(row.id);
        await this.runs.trainerExited(row.id, null);
      }
      return;
    }
    if (!h.started) {
      h.started = true;
      this.watch?.started(row.id, h.config);
    }
    const lapsed = row.workerLeaseUntil !== null && row.workerLeaseUntil.getTime() < Date.now();
    if (!row.workerExit && !lapsed) return;
    // Cleared only where this worker still holds it, so an end handled elsewhere is not handled twice.
    const cleared = await this.db.run.updateMany({ where: { id: row.id, workerId: row.workerId, workerExit: row.workerExit }, data: { workerId: null, workerLeaseUntil: null, workerExit: null } });
    if (cleared.count === 0) return;
    this.release(row.id);
    const where = row.worker ? `worker ${row.worker.name} (${row.worker.host})` : `worker ${row.workerId}`;
    if (!row.workerExit) {
      const tail = [`${where} stopped heartbeating; its hold on the run lapsed`];
      return this.runs.trainerExited(row.id, `Lost ${where}: no heartbeat within the worker lease; the run resumes from its last uploaded checkpoint`, { code: null, signal: null, tail });
    }
    const exit = TrainerExitReport.parse(JSON.parse(row.workerExit));
    if (exit.setupError) return this.runs.trainerExited(row.id, `On ${where}: ${exit.setupError}`, { code: exit.code, signal: exit.signal, tail: [exit.setupError] });
    if (exit.requeue && row.status !== "stopping") {
      console.log(`run ${row.id}: ${where} is leaving and handed it back; it goes back to queue ${h.config.queue}`);
      return void (await this.runs.requeue(row.id));
    }
    const clean = exit.code === 0 || (row.status === "stopping" && exit.signal === "SIGTERM");
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
    await this.runs.trainerExited(row.id, clean ? null : `Trainer on ${where} exited with ${how}: ${lastError(exit.tail)}`, clean ? undefined : { code: exit.code, signal: exit.signal, tail: exit.tail });
  }
}
