import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import type { Checkpoint, Run } from "../../generated/prisma/client";
import { FORK_LOCKED, RunConfig } from "../../lib/run-config";
import { ACTIVE_STATUSES, type CheckpointSaved, type RunStatus, type TrainerDone, type TrainerHello } from "../../lib/protocol";
import type { Db } from "../db";
import type { Hub } from "./hub";
import type { TrainerExit } from "./watch";

type Dates = "createdAt" | "startedAt" | "endedAt";
/** What leaves the server about a run: no token, parsed config, and dates as ISO strings (as JSON sends them). */
export type RunSummary = Omit<Run, "token" | "config" | Dates> & {
  status: RunStatus;
  config: RunConfig;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
};

export function toSummary(run: Run): RunSummary {
  const { token: _token, config, createdAt, startedAt, endedAt, ...rest } = run;
  return {
    ...rest,
    status: run.status as RunStatus,
    config: RunConfig.parse(JSON.parse(config)),
    createdAt: createdAt.toISOString(),
    startedAt: startedAt?.toISOString() ?? null,
    endedAt: endedAt?.toISOString() ?? null,
  };
}

const RESTART_BACKOFF_MS = 1000;
const RESTART_BACKOFF_MAX_MS = 30_000;

/** Starts and stops trainer processes; implemented by the supervisor. */
export interface Launcher {
  launch(run: { id: string; token: string; config: RunConfig }): void;
  requestStop(runId: string): boolean;
}

/** Run lifecycle: every status change goes through here, is stored, then pushed. */
export class RunService {
  launcher: Launcher | null = null;
  /** Raises the crash alert and says whether the restart policy restarts the run. */
  onCrash: ((run: RunSummary, exit: TrainerExit) => Promise<boolean>) | null = null;
  /** A launch's token was replaced: the trainer channel drops the old launch's sockets. */
  tokenRevoked: ((runId: string) => void) | null = null;

  constructor(
    private db: Db,
    private hub: Hub,
    readonly dataDir: string,
  ) {}

  runDir(runId: string) {
    return path.join(this.dataDir, "runs", runId);
  }

  async list(): Promise<RunSummary[]> {
    const runs = await this.db.run.findMany({ orderBy: { createdAt: "desc" } });
    return runs.map(toSummary);
  }

  async get(id: string): Promise<RunSummary> {
    const run = await this.db.run.findUnique({ where: { id } });
    if (!run) throw new TRPCError({ code: "NOT_FOUND", message: `No run with id ${id}` });
    return toSummary(run);
  }

  async checkpoints(runId: string) {
    const rows = await this.db.checkpoint.findMany({ where: { runId }, orderBy: { step: "desc" } });
    return rows.map(checkpointRow);
  }

  /** The model's shape must match the parent's for its weights to load; anything else may change. */
  private async checkFork(config: RunConfig) {
    if (!config.initFrom) return;
    const { runId, step } = config.initFrom;
    const parent = await this.db.run.findUnique({ where: { id: runId } });
    if (!parent) throw new TRPCError({ code: "BAD_REQUEST", message: `Cannot fork: no run with id ${runId}` });
    if (!(await this.db.checkpoint.findUnique({ where: { runId_step: { runId, step } } })))
      throw new TRPCError({ code: "BAD_REQUEST", message: `Cannot fork: run ${parent.name} has no checkpoint at step ${step}` });
    const parentConfig = RunConfig.parse(JSON.parse(parent.config));
    const changed = FORK_LOCKED.filter((k) => parentConfig[k] !== config[k]);
    if (changed.length > 0)
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `Cannot fork: ${changed.map((k) => `${k} is ${config[k]}, the parent's is ${parentConfig[k]}`).join("; ")}; the weights only fit the same model shape`,
      });
  }

  /** Runs forked from this one, oldest first. */
  async forks(id: string): Promise<{ id: string; name: string; step: number; status: string }[]> {
    const rows = await this.db.$queryRaw<{ id: string; name: string; status: string; config: string }[]>`
      SELECT "id", "name", "status", "config" FROM "Run" WHERE json_extract("config", '$.initFrom.runId') = ${id} ORDER BY "createdAt"`;
    return rows.map((r) => ({ id: r.id, name: r.name, status: r.status, step: (JSON.parse(r.config) as RunConfig).initFrom!.step }));
  }

  async create(config: RunConfig): Promise<RunSummary> {
    await this.checkFork(config);
    const run = await this.db.run.create({
      data: {
        name: config.name, config: JSON.stringify(config), token: newToken(), totalSteps: config.steps,
        // The form's optional webhook becomes this run's own; more can be added on the Alerts page.
        ...(config.alertWebhook ? { webhooks: { create: { url: config.alertWebhook } } } : {}),
      },
    });
    this.hub.runChanged(toSummary(run));
    this.launcher?.launch({ id: run.id, token: run.token, config });
    return toSummary(run);
  }

  async stop(id: string): Promise<RunSummary> {
    const run = await this.get(id);
    if (run.status === "queued" || run.status === "running") {
      const updated = await this.setStatus(id, "stopping");
      if (!this.launcher?.requestStop(id)) await this.setStatus(id, "stopped", { endedAt: new Date() });
      return updated;
    }
    if (run.status === "stopping") return run;
    throw new TRPCError({ code: "CONFLICT", message: `Run is ${run.status}; only a queued or running run can be stopped` });
  }

  /** fromScratch: the person chose to start over at step 0; the old checkpoints are set aside and the old metrics superseded. */
  async resume(id: string, opts: { fromScratch?: boolean } = {}): Promise<RunSummary> {
    const run = await this.get(id);
    if (ACTIVE_STATUSES.includes(run.status) || run.status === "completed")
      throw new TRPCError({ code: "CONFLICT", message: `Run is ${run.status}; only a stopped, failed or crashed run can be resumed` });
    if (opts.fromScratch) await this.startOver(id);
    return this.relaunch(run, {});
  }

  /** Supersedes every metric of a run that starts over; set by the services, which own the metric writer. */
  supersedeAll: ((runId: string) => Promise<void>) | null = null;

  private async startOver(id: string) {
    const checkpoints = path.join(this.runDir(id), "checkpoints");
    // Kept, not deleted: they may still be worth a look by hand.
    if (fs.existsSync(checkpoints)) fs.renameSync(checkpoints, path.join(this.runDir(id), `checkpoints-discarded-${Date.now()}`));
    await this.db.checkpoint.deleteMany({ where: { runId: id } });
    await this.supersedeAll?.(id);
  }

  /** The restart policy: a crashed run goes on from its last checkpoint, counted against maxRestarts. */
  async restart(id: string): Promise<RunSummary> {
    const run = await this.get(id);
    if (run.status !== "crashed") return run;
    return this.relaunch(run, { restarts: run.restarts + 1 });
  }

  private async relaunch(run: RunSummary, extra: Partial<Run>): Promise<RunSummary> {
    const token = newToken();
    const updated = await this.db.run.update({
      where: { id: run.id },
      data: { ...extra, status: "queued", token, error: null, endedAt: null },
    });
    this.tokenRevoked?.(run.id);
    this.hub.runChanged(toSummary(updated));
    this.launcher?.launch({ id: run.id, token, config: run.config });
    return toSummary(updated);
  }

  /** A launch's token works only while the run is active: it ends with its launch. */
  async authenticate(runId: string, token: string): Promise<RunSummary | null> {
    const run = await this.db.run.findUnique({ where: { id: runId } });
    if (!run || !ACTIVE_STATUSES.includes(run.status as RunStatus) || !timingSafeEqual(run.token, token)) return null;
    return toSummary(run);
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
    if (run.status === "stopping" || !exit || !this.onCrash) return;
    if (!(await this.onCrash(crashed, exit))) return;
    // Backing off keeps a trainer that dies at once from spinning; the first restart is quick.
    const delayMs = Math.min(RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_MS * 2 ** run.restarts);
    setTimeout(() => this.restart(runId).catch((e) => console.error(`restarting run ${runId} failed:`, e)), delayMs).unref();
  }

  async recordCheckpoint(runId: string, c: CheckpointSaved) {
    const data = { runId, step: c.step, path: c.path, bytes: c.bytes, sha256: c.sha256 };
    const row = await this.db.checkpoint.upsert({ where: { runId_step: { runId, step: c.step } }, create: data, update: data });
    return checkpointRow(row);
  }

  /** Copies the newest step, loss and throughput onto each run row, then pushes the rows. */
  async refreshSummaries(runIds: Set<string>) {
    for (const runId of runIds) {
      const [step, loss, tps] = await Promise.all(
        ["loss", "loss", "tokens_per_sec"].map((key, i) =>
          this.db.metric.findFirst({
            where: { runId, key, ...(i === 1 ? { value: { not: null } } : {}) },
            orderBy: { step: "desc" },
          }),
        ),
      );
      const run = await this.db.run.update({
        where: { id: runId },
        data: { step: step ? step.step + 1 : undefined, lastLoss: loss?.value, tokensPerSec: tps?.value },
      });
      this.hub.runChanged(toSummary(run));
    }
  }

  /** After a restart no trainer is ours any more: runs left active are marked crashed. */
  async markOrphans() {
    const orphans = await this.db.run.findMany({ where: { status: { in: [...ACTIVE_STATUSES] } } });
    for (const run of orphans)
      await this.setStatus(run.id, "crashed", {
        error: "The server restarted while this run was active; resume it to continue from its last checkpoint",
        endedAt: new Date(),
      });
  }

  private async setStatus(id: string, status: RunStatus, extra: Partial<Run> = {}) {
    const run = await this.db.run.update({ where: { id }, data: { ...extra, status } });
    const summary = toSummary(run);
    this.hub.runChanged(summary);
    return summary;
  }
}

function checkpointRow(c: Checkpoint) {
  return { ...c, createdAt: c.createdAt.toISOString() };
}

function newToken() {
  return crypto.randomBytes(24).toString("hex");
}

function timingSafeEqual(a: string, b: string) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
