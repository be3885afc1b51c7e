import fs from "node:fs";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { ACTIVE_STATUSES, type CheckpointSaved, type RunStatus, type TrainerDone, type TrainerHello } from "../../../lib/protocol";
import type { RunConfig } from "../../../lib/run-config";
import type { Run, Db } from "../../db/db";
import { scanCheckpoints, type ScanResult } from "../checkpoints/checkpoint-scan";
import type { Hub } from "../hub/hub";
import { checkpointRow, toSummary, type RunSummary } from "../hub/run-summary";
import { SoloOwnership, type Ownership } from "./leases";
import { RestartBackoff, RESTART_BACKOFF_MS } from "./restart-backoff";
import { checkFork, forksOf } from "./run-forks";
import { rewindTo, startOver, type RewindContext } from "./run-rewind";
import { newToken, timingSafeEqual } from "./run-tokens";
import { LOG_FILE, PID_FILE, readTail, type TrainerExit } from "./trainer-log";

/** A run in one of these needs no owner any more: its lease goes. */
const ENDED: RunStatus[] = ["stopped", "completed", "failed"];

/** Starts and stops trainer processes; implemented by the supervisor. */
export interface Launcher {
  launch(run: { id: string; token: string; config: RunConfig }): void;
  requestStop(runId: string): boolean;
  /** Takes on a live trainer an earlier server started; false when the run has none. */
  adopt(runId: string, config: RunConfig): boolean;
  queuePosition(runId: string): number | null;
}

/** Run lifecycle: every status change goes through here, is stored, then pushed. */
export class RunService {
  launcher: Launcher | null = null;
  private backoff = new RestartBackoff((runId) => this.restart(runId));
  /** Raises the crash alert and says whether the restart policy restarts the run. */
  onCrash: ((run: RunSummary, exit: TrainerExit) => Promise<boolean>) | null = null;
  /** A launch's token was replaced: the trainer channel drops the old launch's sockets. */
  tokenRevoked: ((runId: string) => void) | null = null;
  /** Which runs this instance supervises (all of them when it is alone). */
  ownership: Ownership = new SoloOwnership();

  constructor(
    private db: Db,
    private hub: Hub,
    readonly dataDir: string,
  ) {}

  runDir(runId: string) {
    return path.join(this.dataDir, "runs", runId);
  }

  private summary(run: Run): RunSummary {
    return toSummary(run, this.launcher?.queuePosition(run.id) ?? null);
  }

  /** Pushes the new queue positions of runs waiting for a trainer slot. */
  async queueMoved(runIds: string[]) {
    const rows = await this.db.run.findMany({ where: { id: { in: runIds } } });
    for (const run of rows) this.hub.runChanged(this.summary(run));
  }

  async list(): Promise<RunSummary[]> {
    const runs = await this.db.run.findMany({ orderBy: { createdAt: "desc" } });
    return runs.map((r) => this.summary(r));
  }

  async get(id: string): Promise<RunSummary> {
    const run = await this.db.run.findUnique({ where: { id } });
    if (!run) throw new TRPCError({ code: "NOT_FOUND", message: `No run with id ${id}` });
    return this.summary(run);
  }

  async checkpoints(runId: string) {
    const rows = await this.db.checkpoint.findMany({ where: { runId }, orderBy: { step: "desc" } });
    return rows.map(checkpointRow);
  }

  /** Runs forked from this one, oldest first. */
  async forks(id: string): Promise<{ id: string; name: string; step: number; status: string }[]> {
    return forksOf(this.db, id);
  }

  async create(config: RunConfig): Promise<RunSummary> {
    await checkFork(this.db, config);
    // Created with its lease, so no other instance ever finds it unowned and starts it too.
    const lease = this.ownership.newLease();
    const run = await this.db.run.create({
      data: {
        name: config.name, config: JSON.stringify(config), token: newToken(), totalSteps: config.steps,
        // The form's optional webhook becomes this run's own; more can be added on the Alerts page.
        ...(config.alertWebhook ? { webhooks: { create: { url: config.alertWebhook } } } : {}),
        ...(lease ? { lease: { create: lease } } : {}),
      },
    });
    if (lease) this.ownership.hold(run.id);
    this.backoff.noteLaunch(run.id, 0);
    this.launcher?.launch({ id: run.id, token: run.token, config });
    // After the launch, so a run waiting for a slot is pushed with its place in the queue.
    this.hub.runChanged(this.summary(run));
    return this.summary(run);
  }

  /** Puts a stop or a resume on the run's timeline and charts; set by the services. */
  onLifecycle: ((runId: string, event: { type: "stopped" | "resumed"; step: number; message: string }) => void) | null = null;

  /** Ends an outside run that its trainer will not end (it died without saying so); set by the services. */
  outsideStopped: ((runId: string) => Promise<void>) | null = null;

  async stop(id: string): Promise<RunSummary> {
    const run = await this.get(id);
    if (run.source !== "trainer") {
      if (!ACTIVE_STATUSES.includes(run.status)) throw new TRPCError({ code: "CONFLICT", message: `Run is ${run.status}; only a running run can be stopped` });
      await this.outsideStopped?.(id);
      return this.get(id);
    }
    if (run.status === "queued" || run.status === "running") {
      const updated = await this.setStatus(id, "stopping");
      // Another instance supervises it: its owner finds the status at its next lease renewal.
      if (this.ownership.owns(id)) await this.stopOwned(id);
      return updated;
    }
    if (run.status === "stopping") return run;
    throw new TRPCError({ code: "CONFLICT", message: `Run is ${run.status}; only a queued or running run can be stopped` });
  }

  /** Asks the run's trainer to stop; a run without one (still queued) stops at once. */
  private async stopOwned(id: string) {
    if (!this.launcher?.requestStop(id)) await this.setStatus(id, "stopped", { endedAt: new Date() });
  }

  /** Scale-out: of the runs this instance owns, those asked to stop on another instance get their stop here. */
  async stopsAskedElsewhere(owned: string[], asked: (runId: string) => boolean) {
    if (owned.length === 0) return;
    const rows = await this.db.run.findMany({ where: { id: { in: owned }, status: "stopping" }, select: { id: true } });
    for (const { id } of rows) if (!asked(id)) await this.stopOwned(id);
  }

  /**
   * fromScratch: the person chose to start over at step 0; the old checkpoints are set aside and
   * the old metrics superseded. step: go on from that checkpoint instead of the newest; the later
   * ones are set aside and the metrics after it superseded, as a rollback does.
   */
  async resume(id: string, opts: { fromScratch?: boolean; step?: number } = {}): Promise<RunSummary> {
    const run = await this.get(id);
    if (run.source !== "trainer") throw new TRPCError({ code: "BAD_REQUEST", message: `This run comes from its own trainer (${run.source}); it resumes when that trainer logs to it again` });
    if (ACTIVE_STATUSES.includes(run.status) || run.status === "completed")
      throw new TRPCError({ code: "CONFLICT", message: `Run is ${run.status}; only a stopped, failed or crashed run can be resumed` });
    if (opts.fromScratch && opts.step !== undefined) throw new TRPCError({ code: "BAD_REQUEST", message: "Resume either from scratch or from a checkpoint step, not both" });
    if (opts.fromScratch) await startOver(this.rewindContext(id), id);
    if (opts.step !== undefined) await rewindTo(this.rewindContext(id), run, opts.step);
    const from = opts.fromScratch ? 0 : (opts.step ?? run.step);
    const resumed = await this.relaunch(opts.step === undefined ? run : { ...run, step: opts.step }, {});
    this.onLifecycle?.(id, { type: "resumed", step: from, message: opts.fromScratch ? "Resumed from scratch" : `Resumed at step ${from}` });
    return resumed;
  }

  /** Supersedes a run's metrics after a step (-1: all of them); set by the services, which own the metric writer. */
  supersedeAfter: ((runId: string, afterStep: number) => Promise<void>) | null = null;

  private rewindContext(runId: string): RewindContext {
    return { db: this.db, hub: this.hub, runDir: this.runDir(runId), supersedeAfter: this.supersedeAfter };
  }

  /** The restart policy: a crashed run goes on from its last checkpoint, counted against maxRestarts. */
  async restart(id: string): Promise<RunSummary> {
    const run = await this.get(id);
    if (run.status !== "crashed") return run;
    return this.relaunch(run, { restarts: run.restarts + 1 });
  }

  /** A worker that left handed the run back after a last checkpoint: a new launch, neither a restart nor a crash. */
  async requeue(id: string): Promise<RunSummary> {
    return this.relaunch(await this.get(id), {});
  }

  private async relaunch(run: RunSummary, extra: Partial<Run>): Promise<RunSummary> {
    // The lease before the status, so the queued run is never unowned; a live holder is restarting it already.
    if (!(await this.ownership.claim(run.id)))
      throw new TRPCError({ code: "CONFLICT", message: `Run ${run.name} is handled by another instance (a restart may be due); try again in a few seconds` });
    // A checkpoint its last trainer wrote but could not report is where the next one resumes.
    const scan = await scanCheckpoints(this.db, run.id, this.runDir(run.id), false);
    logScan(run.id, scan);
    const token = newToken();
    const updated = await this.db.run.update({
      where: { id: run.id },
      // A new launch: no worker holds it yet (remote runs go back to their queue).
      data: { ...extra, status: "queued", token, error: null, endedAt: null, workerId: null, workerLeaseUntil: null, workerExit: null },
    });
    this.backoff.noteLaunch(run.id, run.step);
    this.tokenRevoked?.(run.id);
    this.launcher?.launch({ id: run.id, token, config: run.config });
    this.hub.runChanged(this.summary(updated));
    return this.summary(updated);
  }

  /** A launch's token works only while the run is active: it ends with its launch. */
  async authenticate(runId: string, token: string): Promise<RunSummary | null> {
    const run = await this.db.run.findUnique({ where: { id: runId } });
    if (!run || !ACTIVE_STATUSES.includes(run.status as RunStatus) || !timingSafeEqual(run.token, token)) return null;
    return this.summary(run);
  }

  async trainerStarted(runId: string, hello: TrainerHello) {
    const run = await this.get(runId);
    if (run.status !== "queued" && run.status !== "running") return run;
    return this.setStatus(runId, "running", {
      backend: hello.backend,
      paramCount: hello.paramCount,
      warning: hello.warning ?? null,
      startedAt: run.startedAt ? new Date(run.startedAt) : new Date(),
    });
  }

  async trainerDone(runId: string, done: TrainerDone) {
    const run = await this.get(runId);
    // A run that has ended keeps its ending: a late or forged done changes nothing.
    if (!ACTIVE_STATUSES.includes(run.status))
      throw new TRPCError({ code: "CONFLICT", message: `Run is ${run.status}; a trainer reports how it ended only while the run is active` });
    return this.setStatus(runId, done.status, { error: done.error ?? null, step: done.step, endedAt: new Date() });
  }

  /** Called by the supervisor when a trainer process ends without having said how (exit says how it died). */
  async trainerExited(runId: string, reason: string | null, exit?: TrainerExit) {
    const run = await this.get(runId);
    if (!ACTIVE_STATUSES.includes(run.status)) return;
    if (run.status === "stopping" && reason === null) return void (await this.setStatus(runId, "stopped", { endedAt: new Date() }));
    const crashed = await this.setStatus(runId, "crashed", { error: reason ?? "Trainer exited before reporting", endedAt: new Date() });
    // The lease stays while a restart is due, so that the restart happens even if this instance dies.
    if (run.status === "stopping" || !exit || !this.onCrash) return this.releaseLease(runId);
    if (!(await this.onCrash(crashed, exit))) return this.releaseLease(runId);
    // Backing off keeps a trainer that dies at once from spinning; the first restart is quick.
    this.backoff.scheduleRestart(runId, this.backoff.restartDelay(runId, run.step));
  }

  async recordCheckpoint(runId: string, c: CheckpointSaved) {
    const data = { runId, step: c.step, path: c.path, bytes: c.bytes, sha256: c.sha256 };
    const row = await this.db.checkpoint.upsert({ where: { runId_step: { runId, step: c.step } }, create: data, update: data });
    return checkpointRow(row);
  }

  /**
   * Pushes the runs' rows after new metrics. The metric writer copies the newest step, loss and
   * throughput onto them in the transaction that wrote the points (server/services/metrics/rollup-sql.ts
   * summaries), so this only reads.
   */
  async refreshSummaries(runIds: Set<string>) {
    const rows = await this.db.run.findMany({ where: { id: { in: [...runIds] } } });
    for (const run of rows) this.hub.runChanged(this.summary(run));
  }

  private async releaseLease(runId: string) {
    await this.ownership.release(runId).catch((e) => console.error(`run ${runId}: releasing its lease failed:`, e));
  }

  /**
   * At server start, every run this instance may own is taken over (takeOver). Alone, that is all
   * of them. In a cluster, a run whose lease a live instance holds is left to it; one with an
   * expired lease, or active with none, is claimed first.
   */
  async markOrphans() {
    // Outside runs have no trainer of ours to adopt or restart (OutsideRuns.resumeWatching).
    const runs = await this.db.run.findMany({ where: { source: "trainer" }, orderBy: { createdAt: "asc" } });
    const leases = await this.ownership.leases();
    for (const row of runs) {
      if (!this.ownership.clustered) {
        await this.takeOver(row, true);
        continue;
      }
      const lease = leases.get(row.id);
      if (lease?.live && lease.owner !== this.ownership.instanceId) continue;
      const needsOwner = lease !== undefined || ACTIVE_STATUSES.includes(row.status as RunStatus);
      if (needsOwner && !(await this.ownership.claim(row.id))) continue;
      // A crashed run keeps its lease only while its restart is due.
      await this.takeOver(row, lease !== undefined);
    }
  }

  /** Scale-out: this instance claimed the expired lease of a run; it takes the run over. */
  async takeOverClaimed(runId: string) {
    const row = await this.db.run.findUnique({ where: { id: runId } });
    if (!row) return this.releaseLease(runId);
    await this.takeOver(row, true);
  }

  /**
   * Supervision of a run passes to this instance (a restart, or its owner died): an active run
   * whose trainer still lives (an earlier server started it) is adopted and goes on; one whose
   * trainer died while no server watched crashed, with its alert and restart policy; a queued one
   * goes back in the queue. Its checkpoints that reached the disk unrecorded are recorded, and
   * abandoned temporary folders of a run without a trainer removed. `restartDue`: a crashed run's
   * restart was decided and may not have been made.
   */
  private async takeOver(row: Run, restartDue: boolean) {
    const run = this.summary(row);
    const active = ACTIVE_STATUSES.includes(run.status);
    const adopted = active && (this.launcher?.adopt(run.id, run.config) ?? false);
    logScan(run.id, await scanCheckpoints(this.db, run.id, this.runDir(run.id), !adopted));
    if (!active) {
      // Its policy had decided on a restart that the last server did not live to make.
      if (run.status === "crashed" && restartDue && run.config.restartOnCrash && run.restarts < run.config.maxRestarts) this.backoff.scheduleRestart(run.id, RESTART_BACKOFF_MS);
      else if (this.ownership.owns(run.id)) await this.releaseLease(run.id);
      return;
    }
    if (adopted) {
      if (run.config.queue) console.log(`run ${run.id}: on queue ${run.config.queue}; a worker that holds it has one worker lease to reach this instance`);
      else console.log(`run ${run.id}: adopted its trainer, which kept running while ${this.ownership.clustered ? "no instance supervised it" : "the server was down"}`);
      this.backoff.noteLaunch(run.id, run.step);
      if (run.status === "stopping") this.launcher?.requestStop(run.id);
      return;
    }
    if (run.status === "queued" && !fs.existsSync(path.join(this.runDir(run.id), PID_FILE))) {
      this.launcher?.launch({ id: run.id, token: row.token, config: run.config });
      return;
    }
    // Asked to stop and gone: it stopped. Otherwise it died unwatched, a crash like any other.
    if (run.status === "stopping") await this.trainerExited(run.id, null);
    else {
      const tail = readTail(path.join(this.runDir(run.id), LOG_FILE));
      await this.trainerExited(run.id, `The trainer ended while ${this.ownership.clustered ? "no instance supervised it" : "the server was down"}: ${tail.at(-1) ?? "no output"}`, { code: null, signal: null, tail });
    }
  }

  private async setStatus(id: string, status: RunStatus, extra: Partial<Run> = {}) {
    const run = await this.db.run.update({ where: { id }, data: { ...extra, status } });
    if (status === "stopped" && run.source === "trainer") this.onLifecycle?.(id, { type: "stopped", step: run.step, message: `Stopped at step ${run.step}` });
    if (ENDED.includes(status) && this.ownership.owns(id)) await this.releaseLease(id);
    const summary = this.summary(run);
    this.hub.runChanged(summary);
    return summary;
  }
}

function logScan(runId: string, scan: ScanResult) {
  if (scan.recorded.length) console.log(`run ${runId}: recorded checkpoints found on disk at steps ${scan.recorded.join(", ")}`);
  for (const r of scan.rejected) console.error(`run ${runId}: checkpoint at step ${r.step} not recorded: ${r.reason}`);
  if (scan.removed.length) console.log(`run ${runId}: removed abandoned ${scan.removed.join(", ")}`);
}
