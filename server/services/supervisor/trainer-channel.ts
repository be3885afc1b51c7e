import fs from "node:fs";
import path from "node:path";
import type { Socket } from "socket.io";
import { ACTIVE_STATUSES, EV, type CheckpointCorrupt, type CheckpointSaved, type Heartbeat, type MetricBatch, type RecordedCheckpoint, type RecoveryEvent, type RunStatus } from "../../../lib/protocol";
import { confine, PathRefused } from "../../confine";
import type { Db } from "../../db/db";
import type { AlertService } from "../alerts/alerts";
import { sha256File } from "../checkpoints/checkpoint-integrity";
import { timingSafeEqual } from "../runs/run-tokens";

/** A refused trainer message: its text goes back to the trainer, and nothing was written. */
export class Refused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Refused";
  }
}

/** What the server knows of one launch (one token) of a run. Steps are -1 until first seen. */
export interface Launch {
  runId: string;
  token: string;
  sockets: Set<Socket>;
  /** The socket that speaks for the trainer; another is refused while this one is connected. */
  active: Socket | null;
  /** The socket that said hello; a trainer that reconnects says it again on its new socket. */
  hello: Socket | null;
  startStep: number;
  /** The highest metric sequence number accepted, and the step its batch ended at. */
  maxSeq: number;
  lastStep: number;
  /** The highest step accepted in this launch; a re-sent batch may not go past it. */
  highStep: number;
  /** The sequence number of the launch's first own (not replayed) batch, -1 until it comes. */
  firstOwnSeq: number;
  beatStep: number;
  /** Messages are checked one at a time, in the order they came, so step checks see every earlier message. */
  queue: Promise<unknown>;
}

/** How old the run's token and status may be for a metric batch or a heartbeat. */
const RUN_TTL_MS = 1000;

const stepDir = (step: number) => `step-${String(step).padStart(6, "0")}`;

/**
 * The per-run state of the /trainer channel: which launch's token is live, which socket speaks for
 * it, and how far its steps have come. Every trainer message passes through here before it reaches
 * a service; whatever does not fit the run's state is refused and writes nothing. The token and
 * the run's status come from the database, so a restarted server accepts a live launch's token
 * and no server accepts a revoked one for long: every message but the frequent ones (metric
 * batches, heartbeats) reads them anew; those take a read at most RUN_TTL_MS old. This server
 * drops that read whenever it replaces a token or a launch ends here (revoke, ended), so here a
 * revoked token is refused at once; a change made by another server is seen within RUN_TTL_MS.
 */
export class TrainerChannel {
  private launches = new Map<string, Launch>();
  private runs = new Map<string, { token: string; status: string; at: number }>();

  constructor(
    private db: Db,
    private alerts: AlertService,
    private runDir: (runId: string) => string,
  ) {}

  /** The handshake: the run's current token, of a launch that has not ended. */
  async authenticate(runId: string, token: string): Promise<boolean> {
    const run = await this.db.run.findUnique({ where: { id: runId }, select: { token: true, status: true } });
    return run !== null && live(run, token);
  }

  /** Registers an authenticated socket under its launch. */
  join(socket: Socket, runId: string, token: string) {
    let launch = this.launches.get(runId);
    if (launch && launch.token !== token) {
      this.revoke(runId);
      launch = undefined;
    }
    if (!launch) {
      launch = { runId, token, sockets: new Set(), active: null, hello: null, startStep: -1, maxSeq: -1, lastStep: -1, highStep: -1, firstOwnSeq: -1, beatStep: -1, queue: Promise.resolve() };
      this.launches.set(runId, launch);
    }
    launch.sockets.add(socket);
    const joined = launch;
    socket.on("disconnect", () => {
      joined.sockets.delete(socket);
      if (joined.active === socket) joined.active = null;
    });
  }

  /** The run's token was replaced (resume, restart): the old launch's sockets go at once. */
  revoke(runId: string) {
    this.runs.delete(runId);
    const launch = this.launches.get(runId);
    if (!launch) return;
    this.launches.delete(runId);
    for (const s of launch.sockets) s.disconnect(true);
  }

  /** The launch said how it ended: its other sockets go, and its token no longer opens one. */
  ended(runId: string, token: string) {
    this.runs.delete(runId);
    if (this.launches.get(runId)?.token === token) this.revoke(runId);
  }

  /**
   * Checks one message from a socket, in order with the launch's other messages: the token is
   * still the run's, the run is active, and this socket speaks for the trainer. `check` then
   * tests the message against the launch's state and may update it; it throws Refused to refuse.
   */
  admit<T>(socket: Socket, event: string, check: (launch: Launch) => Promise<T> | T): Promise<T> {
    const launch = this.launches.get(socket.data.runId);
    if (!launch || launch.token !== socket.data.token || !launch.sockets.has(socket)) {
      socket.disconnect(true);
      return Promise.reject(new Refused("This trainer's token was revoked: the run was resumed or restarted"));
    }
    const result = launch.queue.then(async () => {
      const frequent = event === EV.metricBatch || event === EV.trainerHeartbeat;
      let run = await this.run(launch.runId, frequent);
      // Refused only on a fresh read: a kept one may predate a new launch.
      if (frequent && (!run || !live(run, launch.token))) run = await this.run(launch.runId, false);
      if (!run || !live(run, launch.token)) {
        setImmediate(() => this.ended(launch.runId, launch.token));
        throw new Refused(`This trainer's launch has ended (the run is ${run?.status ?? "gone"}); its token no longer works`);
      }
      if (launch.active && launch.active !== socket && launch.active.connected) {
        if (event === EV.trainerHello) await this.conflict(launch);
        throw new Refused("Another trainer socket is connected for this run; only one may speak for it");
      }
      // The same socket saying hello twice, or a new one while the first is still connected.
      if (event === EV.trainerHello && launch.hello && (launch.hello === socket || launch.hello.connected)) {
        await this.conflict(launch);
        throw new Refused("This launch has already said hello");
      }
      launch.active = socket;
      return check(launch);
    });
    launch.queue = result.catch(() => {});
    return result;
  }

  /** The run's token and status: from the database, or for a frequent message from a read at most RUN_TTL_MS old. */
  private async run(runId: string, frequent: boolean) {
    const cached = this.runs.get(runId);
    if (frequent && cached && Date.now() - cached.at < RUN_TTL_MS) return cached;
    const at = Date.now();
    const run = await this.db.run.findUnique({ where: { id: runId }, select: { token: true, status: true } });
    if (run) this.runs.set(runId, { ...run, at });
    else this.runs.delete(runId);
    return run;
  }

  hello(launch: Launch, startStep: number) {
    launch.hello = launch.active;
    launch.startStep = startStep;
    launch.lastStep = Math.max(launch.lastStep, startStep);
    launch.highStep = Math.max(launch.highStep, startStep);
  }

  /**
   * Steps only go forward within a launch: a new batch starts at or after where the last one
   * ended. A batch re-sent after a lost ack (its sequence number already passed) is taken again,
   * idempotently, as long as it stays within the steps this launch has already reached.
   */
  metrics(launch: Launch, batch: MetricBatch) {
    // A journal replay holds a previous launch's steps, from before and after where this one
    // resumed, and is written idempotently. Replays are numbered before the launch's own batches.
    if (batch.replay) {
      if (launch.firstOwnSeq >= 0 && batch.seq >= launch.firstOwnSeq)
        throw new Refused(`Metric batch ${batch.seq} is marked as a replay but comes after this launch's own batch ${launch.firstOwnSeq}`);
      return;
    }
    if (launch.firstOwnSeq < 0) launch.firstOwnSeq = batch.seq;
    const steps = batch.points.map((p) => p.step);
    for (let i = 1; i < steps.length; i++)
      if (steps[i] < steps[i - 1]) throw new Refused(`Metric batch ${batch.seq}: step ${steps[i]} follows step ${steps[i - 1]}; steps only go forward`);
    const first = steps[0];
    const last = steps[steps.length - 1];
    if (launch.startStep >= 0 && first < launch.startStep)
      throw new Refused(`Metric batch ${batch.seq}: step ${first} is before step ${launch.startStep}, where this launch started`);
    if (batch.seq <= launch.maxSeq) {
      if (last > launch.highStep) throw new Refused(`Metric batch ${batch.seq} was re-sent with step ${last}, past step ${launch.highStep} that this launch reached`);
      return;
    }
    if (first < launch.lastStep) throw new Refused(`Metric batch ${batch.seq}: step ${first} is before step ${launch.lastStep} already reported; steps only go forward`);
    launch.maxSeq = batch.seq;
    launch.lastStep = last;
    launch.highStep = Math.max(launch.highStep, last);
  }

  heartbeat(launch: Launch, beat: Heartbeat) {
    if (beat.step < launch.beatStep) throw new Refused(`Heartbeat at step ${beat.step} after one at step ${launch.beatStep}; steps only go forward`);
    launch.beatStep = beat.step;
  }

  /**
   * A checkpoint is the file at its step's place in this run's directory, and the server hashes
   * that file itself: what the trainer says about it must match what is on disk.
   */
  async checkpoint(launch: Launch, c: CheckpointSaved) {
    const runDir = this.runDir(launch.runId);
    let file: string;
    try {
      file = confine(c.path, [runDir], "A checkpoint path");
    } catch (e) {
      if (e instanceof PathRefused) throw new Refused("A checkpoint path must lie inside the run's directory (after symlinks are followed)");
      throw e;
    }
    const expected = confine(path.join(runDir, "checkpoints", stepDir(c.step), "checkpoint.safetensors"), [runDir], "A checkpoint path");
    if (file !== expected) throw new Refused(`The checkpoint of step ${c.step} must be checkpoints/${stepDir(c.step)}/checkpoint.safetensors in the run's directory`);
    if (launch.startStep >= 0 && c.step < launch.startStep)
      throw new Refused(`Checkpoint step ${c.step} is before step ${launch.startStep}, where this launch started`);
    const stat = await fs.promises.stat(file).catch(() => null);
    if (!stat?.isFile()) throw new Refused(`No checkpoint file for step ${c.step} in the run's directory`);
    if (stat.size !== c.bytes) throw new Refused(`Checkpoint step ${c.step}: the file holds ${stat.size} bytes, not the ${c.bytes} reported`);
    const actual = await sha256File(file);
    if (actual !== c.sha256) throw new Refused(`Checkpoint step ${c.step}: the file's sha256 ${actual.slice(0, 12)}… is not the reported ${c.sha256.slice(0, 12)}…`);
    return { ...c, path: file };
  }

  /** A rollback goes back to a checkpoint the server recorded, at or before where the launch is. */
  async rollback(launch: Launch, event: RecoveryEvent) {
    if (event.type !== "rollback") return;
    if (event.toStep === undefined) throw new Refused("A rollback must say the step it went back to (toStep)");
    const current = Math.max(launch.lastStep, launch.highStep);
    if (event.toStep > event.step || event.step > current)
      throw new Refused(`Rollback from step ${event.step} to ${event.toStep}: the run is at step ${current}, and a rollback goes back from there`);
    const row = await this.db.checkpoint.findUnique({ where: { runId_step: { runId: launch.runId, step: event.toStep } }, select: { id: true } });
    if (!row) throw new Refused(`Rollback to step ${event.toStep}: the run has no recorded checkpoint there`);
    launch.lastStep = event.toStep;
    launch.beatStep = Math.min(launch.beatStep, event.toStep);
  }

  /** The run's recorded checkpoints, which the trainer checks its files against before loading one. */
  async recorded(runId: string): Promise<RecordedCheckpoint[]> {
    return this.db.checkpoint.findMany({ where: { runId }, orderBy: { step: "desc" }, select: { step: true, sha256: true } });
  }

  /** The trainer found a checkpoint that does not verify: an alert names it and what was used instead. */
  async corrupt(runId: string, c: CheckpointCorrupt) {
    const fallback = c.fallbackStep === null ? "no other checkpoint verifies, so the run cannot resume from one" : `resuming from the checkpoint at step ${c.fallbackStep} instead`;
    await this.alerts.raise(runId, {
      type: "checkpoint_corrupt", severity: "critical", step: c.step, value: c.fallbackStep, threshold: null,
      message: `Checkpoint at step ${c.step} (${path.basename(path.dirname(c.path))}) is corrupt: ${c.reason}; ${fallback}`,
    });
  }

  private async conflict(launch: Launch) {
    await this.alerts.raise(launch.runId, {
      type: "trainer_conflict", severity: "critical", step: Math.max(0, launch.lastStep), value: launch.sockets.size, threshold: 1,
      message: "A second trainer tried to attach to this run with its token while its trainer is connected; it was refused. Someone else may hold the run's token.",
    });
  }
}

function live(run: { token: string; status: string }, token: string) {
  return ACTIVE_STATUSES.includes(run.status as RunStatus) && timingSafeEqual(run.token, token);
}
