import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { CHECKPOINT_FILE } from "../../../formats/checkpoint";
import { ACTIVE_STATUSES, type RunStatus } from "../../../lib/protocol";
import { RunConfig } from "../../../lib/run-config";
import type { Assignment, HeartbeatAnswer, Registered, TrainerExitReport, WorkerHeartbeat, WorkerInfo } from "../../../lib/worker-protocol";
import { heartbeatFor } from "../../../lib/worker-protocol";
import { Prisma, type Db } from "../../db/db";
import { jsonText } from "../../db/dialect";
import { sha256File } from "../checkpoints/checkpoint-integrity";
import { datasetFiles, defaultDatasetId } from "./worker-files";

export type WorkerState = "idle" | "busy" | "offline" | "left";

/** What the Workers page and the form show of a worker. */
export interface WorkerSummary {
  id: string;
  name: string;
  host: string;
  state: WorkerState;
  info: WorkerInfo;
  queues: string[];
  maxRuns: number;
  startedAt: string;
  heartbeatAt: string;
  heartbeatAgeMs: number;
  leftAt: string | null;
  runs: { id: string; name: string; status: string; step: number; totalSteps: number; backend: string | null; phase: string | null; detail: string | null }[];
}

/** Workers not heard from for this long are left off the page (their rows stay). */
const LIST_HORIZON_MS = 24 * 3600_000;

const refuse = (code: "NOT_FOUND" | "CONFLICT" | "BAD_REQUEST" | "FORBIDDEN", message: string) => new TRPCError({ code, message });

/**
 * The server's side of remote workers (docs/workers.md): registration, heartbeats that hold each
 * run a worker trains for WORKER_LEASE_TTL_MS, and the claim that hands a queued run to one worker
 * with a conditional update, so two workers (or two instances) never both get it. What becomes of
 * a launch whose hold lapsed is the run owner's to decide (remote-runs.ts).
 */
export class WorkerService {
  constructor(
    private db: Db,
    private opts: {
      dataDir: string;
      leaseTtlMs: number;
      serverUrls: () => string[];
      runDir: (runId: string) => string;
      /** A progress line for a run's page (a worker fetching what the run needs). */
      onProgress?: (runId: string, line: string) => void;
    },
  ) {}

  async register(info: WorkerInfo, keyId: string | null): Promise<Registered> {
    const id = `w-${crypto.randomBytes(6).toString("hex")}`;
    await this.db.worker.create({
      data: { id, name: info.name, host: info.host, info: JSON.stringify(info), queues: JSON.stringify(info.queues), maxRuns: info.maxRuns, keyId, heartbeatAt: new Date() },
    });
    return { id, heartbeatMs: heartbeatFor(this.opts.leaseTtlMs), leaseTtlMs: this.opts.leaseTtlMs, servers: this.opts.serverUrls() };
  }

  /** The worker, if it exists, has not left, and was registered with the same key (a key may not speak for another's worker). */
  private async worker(id: string, keyId: string | null) {
    const w = await this.db.worker.findUnique({ where: { id } });
    if (!w) throw refuse("NOT_FOUND", `No worker ${id}; register again`);
    if (w.keyId !== keyId) throw refuse("FORBIDDEN", `Worker ${id} was registered with another API key`);
    if (w.leftAt) throw refuse("CONFLICT", `Worker ${id} has left; register again`);
    return w;
  }

  /**
   * Renews the worker's hold on each run it still has. A run it names that is no longer its own
   * (its hold lapsed and the run moved on, or it ended) is `lost`: the worker kills that trainer.
   */
  async heartbeat(id: string, keyId: string | null, beat: WorkerHeartbeat): Promise<HeartbeatAnswer> {
    const w = await this.worker(id, keyId);
    const now = new Date();
    const until = new Date(now.getTime() + this.opts.leaseTtlMs);
    await this.db.worker.update({ where: { id }, data: { heartbeatAt: now, activity: JSON.stringify(beat.runs) } });
    // A fetch's progress goes to the run page's log as it changes, as a local trainer's setup lines do.
    const before = new Map((JSON.parse(w.activity) as WorkerHeartbeat["runs"]).map((r) => [r.runId, r.detail]));
    for (const r of beat.runs) if (r.phase === "fetching" && r.detail && r.detail !== before.get(r.runId)) this.opts.onProgress?.(r.runId, `on worker ${w.name}: ${r.detail}`);
    const named = beat.runs.map((r) => r.runId);
    await this.db.run.updateMany({ where: { workerId: id, id: { in: named }, workerLeaseUntil: { gt: now } }, data: { workerLeaseUntil: until } });
    const mine = await this.db.run.findMany({ where: { workerId: id }, select: { id: true, status: true, workerLeaseUntil: true } });
    const held = new Map(mine.map((r) => [r.id, r]));
    const lost = named.filter((r) => !held.has(r) || !ACTIVE_STATUSES.includes(held.get(r)!.status as RunStatus) || held.get(r)!.workerLeaseUntil! <= now);
    const stop = mine.filter((r) => r.status === "stopping" && named.includes(r.id)).map((r) => r.id);
    return { stop, lost };
  }

  /**
   * Hands the oldest queued run of the worker's queues to it, while it has room: the run's worker
   * is set only where none is, so of two claims at once one wins.
   */
  async claim(id: string, keyId: string | null): Promise<Assignment | null> {
    const w = await this.worker(id, keyId);
    const now = new Date();
    await this.db.worker.update({ where: { id }, data: { heartbeatAt: now } });
    const busy = await this.db.run.count({ where: { workerId: id, status: { in: [...ACTIVE_STATUSES] } } });
    if (busy >= w.maxRuns) return null;
    const queues = JSON.parse(w.queues) as string[];
    for (let attempt = 0; attempt < 3; attempt++) {
      const candidates = await this.db.$queryRaw<{ id: string }[]>`
        SELECT "id" FROM "Run" WHERE "status" = 'queued' AND "source" = 'trainer' AND "workerId" IS NULL AND ${jsonText(this.db, `"config"`, ["queue"])} IN (${queuesSql(queues)})
        ORDER BY "createdAt" LIMIT 1`;
      const runId = candidates[0]?.id;
      if (!runId) return null;
      const won = await this.db.run.updateMany({
        where: { id: runId, status: "queued", workerId: null },
        data: { workerId: id, workerLeaseUntil: new Date(now.getTime() + this.opts.leaseTtlMs), workerExit: null },
      });
      if (won.count === 1) return this.assignment(runId);
    }
    return null;
  }

  private async assignment(runId: string): Promise<Assignment> {
    const run = await this.db.run.findUniqueOrThrow({ where: { id: runId } });
    const config = RunConfig.parse(JSON.parse(run.config));
    const datasetIdOf = config.dataset === "default" ? defaultDatasetId() : config.dataset;
    const files = await datasetFiles(this.opts.dataDir, datasetIdOf);
    if (!files && config.dataset !== "default") throw refuse("CONFLICT", `Dataset ${config.dataset} is not prepared on the server`);
    const last = await this.db.checkpoint.findFirst({ where: { runId }, orderBy: { step: "desc" } });
    const parentRow = config.initFrom ? await this.db.checkpoint.findUnique({ where: { runId_step: config.initFrom } }) : null;
    const entry = (row: { bytes: number; sha256: string }) => ({ name: CHECKPOINT_FILE, bytes: row.bytes, sha256: row.sha256 });
    const evalFiles = [];
    for (const [index, e] of config.evals.entries()) {
      if (e.file === "synthetic") continue;
      if (!fs.existsSync(e.file)) throw refuse("CONFLICT", `The ${e.task} benchmark file of run ${run.name} is gone from the server`);
      evalFiles.push({ index, file: { name: path.basename(e.file), bytes: fs.statSync(e.file).size, sha256: await sha256File(e.file) } });
    }
    return {
      runId, name: run.name, token: run.token, config,
      servers: this.opts.serverUrls(),
      dataset: files ? { id: datasetIdOf, files } : null,
      resume: last ? { step: last.step, file: entry(last) } : null,
      parent: parentRow ? { runId: parentRow.runId, step: parentRow.step, file: entry(parentRow) } : null,
      evalFiles,
      serverRunDir: this.opts.runDir(runId),
    };
  }

  /** How the trainer of a launch ended; the run's owner reads it on its next look (remote-runs.ts). */
  async exit(id: string, keyId: string | null, runId: string, report: TrainerExitReport) {
    await this.worker(id, keyId);
    const n = await this.db.run.updateMany({ where: { id: runId, workerId: id }, data: { workerExit: JSON.stringify(report) } });
    if (n.count === 0) throw refuse("CONFLICT", `Run ${runId} is not this worker's (its hold lapsed, or it never had it)`);
  }

  /** A clean goodbye: its runs' holds end now, so their owners need not wait out the TTL. */
  async leave(id: string, keyId: string | null) {
    await this.worker(id, keyId);
    await this.db.worker.update({ where: { id }, data: { leftAt: new Date() } });
    await this.db.run.updateMany({ where: { workerId: id }, data: { workerLeaseUntil: new Date() } });
  }

  /** A run's launch as it stands, for the file endpoints: the run must be this worker's now. */
  async assertAssigned(id: string, keyId: string | null, runId: string) {
    await this.worker(id, keyId);
    const run = await this.db.run.findUnique({ where: { id: runId }, select: { workerId: true } });
    if (run?.workerId !== id) throw refuse("FORBIDDEN", `Run ${runId} is not assigned to worker ${id}`);
  }

  async list(): Promise<WorkerSummary[]> {
    const since = new Date(Date.now() - LIST_HORIZON_MS);
    const rows = await this.db.worker.findMany({
      where: { heartbeatAt: { gt: since } },
      orderBy: [{ heartbeatAt: "desc" }],
      include: { runs: { where: { status: { in: [...ACTIVE_STATUSES] } }, select: { id: true, name: true, status: true, step: true, totalSteps: true, backend: true } } },
    });
    const now = Date.now();
    return rows.map((w) => {
      const age = now - w.heartbeatAt.getTime();
      const state: WorkerState = w.leftAt ? "left" : age > this.opts.leaseTtlMs ? "offline" : w.runs.length > 0 ? "busy" : "idle";
      return {
        id: w.id, name: w.name, host: w.host, state, info: JSON.parse(w.info) as WorkerInfo, queues: JSON.parse(w.queues) as string[], maxRuns: w.maxRuns,
        startedAt: w.startedAt.toISOString(), heartbeatAt: w.heartbeatAt.toISOString(), heartbeatAgeMs: age, leftAt: w.leftAt?.toISOString() ?? null,
        runs: state === "left" || state === "offline" ? [] : withActivity(w.runs, w.activity),
      };
    });
  }

  /** The queues live workers pull from, for the form's Run on. */
  async queues(): Promise<{ name: string; workers: number; idle: number }[]> {
    const live = (await this.list()).filter((w) => w.state === "idle" || w.state === "busy");
    const names = [...new Set(live.flatMap((w) => w.queues))].sort();
    return names.map((name) => {
      const on = live.filter((w) => w.queues.includes(name));
      return { name, workers: on.length, idle: on.filter((w) => w.state === "idle").length };
    });
  }
}

/** Each run with what the worker last said of it (its heartbeat's phase and progress). */
function withActivity<R extends { id: string }>(runs: R[], json: string) {
  const said = new Map((JSON.parse(json) as WorkerHeartbeat["runs"]).map((r) => [r.runId, r]));
  return runs.map((r) => ({ ...r, phase: said.get(r.id)?.phase ?? null, detail: said.get(r.id)?.detail ?? null }));
}

function queuesSql(queues: string[]) {
  // Names passed QUEUE_NAME at registration; joined as bound parameters all the same.
  return Prisma.join(queues);
}
