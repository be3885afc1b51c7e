import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import type { ImportedRun, ImportJob, TensorboardImportRequest } from "../../../lib/tensorboard";
import { confine } from "../../confine";
import type { Db } from "../../db/db";
import { RunTail, type TailPoint } from "./tensorboard-follower";
import { checkEventFile, findRunDirs, runName, ScanError } from "./tensorboard-scan";
import { ImportStore } from "./tensorboard-store";

/** The part of services.outsideRuns (the contract's interface) this service uses. */
export interface OutsideRunsApi {
  create(o: { name: string; source: "tensorboard"; tags?: Record<string, string> }): Promise<{ id: string }>;
  log(runId: string, points: TailPoint[]): Promise<void>;
  setStatus(runId: string, status: "running" | "completed" | "failed" | "stopped", endTimeMs?: number): Promise<unknown>;
}

/** Per run and poll: bounds the points held in memory while a big file is caught up with. */
const POLL_BYTES = 8 << 20;
const LOG_POINTS = 5000;
const MAX_PROBLEMS = 50;
const MAX_TAGS = 1000;
const MAX_JOBS = 100;
/** Consecutive failures to store a run's points before its import is given up as failed. */
const MAX_LOG_FAILURES = 5;
/** A followed run in one of these was stopped or ended by someone: its follow ends with it. */
const ENDS_FOLLOW = ["stopping", "stopped", "completed", "failed"];

export type ImportView = ReturnType<typeof view>;

function view(job: ImportJob) {
  return {
    id: job.id, root: job.root, follow: job.follow, state: job.state, error: job.error, createdAt: job.createdAt,
    runs: job.runs.map((r) => ({
      runId: r.runId, name: r.name, dir: r.dir, active: r.active, points: r.points, tags: r.tags.length,
      files: Object.keys(r.files).length, bytesRead: r.bytesRead, bytesTotal: r.bytesTotal, problems: r.problems,
    })),
  };
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * TensorBoard log directories as outside runs: each directory holding event files is one run, its
 * scalars logged through outsideRuns. A follow keeps tailing the directory (new records, files
 * and run subdirectories) every `pollMs`; its offsets persist, so it survives a server restart.
 */
export class TensorboardService {
  private jobs: ImportJob[];
  private tails = new Map<string, RunTail>();
  private timers = new Map<string, NodeJS.Timeout>();
  private ticking = new Map<string, Promise<void>>();
  private logFailures = new Map<string, number>();
  private saving: Promise<void> = Promise.resolve();
  private store: ImportStore;
  private closed = false;

  constructor(
    private db: Db,
    private outside: OutsideRunsApi,
    private roots: readonly string[],
    private dataDir: string,
    private pollMs = 1000,
  ) {
    this.store = new ImportStore(dataDir);
    this.jobs = [];
  }

  /** At server start: imports and follows that an earlier server left unfinished go on from their offsets. */
  resume() {
    this.jobs = this.store.load();
    for (const job of this.jobs) if (job.state === "importing" || job.state === "following") this.schedule(job, 0);
  }

  async import(req: TensorboardImportRequest & { rootName?: string }): Promise<ImportView> {
    const real = confine(req.path, this.roots, "The log directory");
    const st = await fs.stat(real).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT" || e.code === "ENOTDIR") throw new TRPCError({ code: "NOT_FOUND", message: `No such directory or file: ${req.path}` });
      throw e;
    });
    let found: { name: string; dir: string; file?: string }[];
    const root = st.isFile() ? path.dirname(real) : real;
    try {
      if (st.isFile()) {
        await checkEventFile(real);
        found = [{ name: req.rootName ?? path.basename(root), dir: root, file: path.basename(real) }];
      } else if (st.isDirectory()) {
        found = (await findRunDirs(real)).map((r) => (r.dir === real && req.rootName ? { ...r, name: req.rootName } : r));
        if (found.length === 0) throw new ScanError(`${req.path} holds no TensorBoard event files (events.out.tfevents.*), and neither does any folder below it`);
      } else throw new ScanError(`${req.path} is neither a directory nor a file`);
    } catch (e) {
      if (e instanceof ScanError) throw new TRPCError({ code: "BAD_REQUEST", message: e.message });
      throw e;
    }
    const job: ImportJob = {
      id: crypto.randomUUID().slice(0, 12), root, follow: req.follow, state: "importing", error: null, createdAt: new Date().toISOString(), runs: [],
    };
    for (const f of found) job.runs.push(await this.newRun(f));
    this.jobs.push(job);
    this.prune();
    await this.persist();
    this.schedule(job, 0);
    return view(job);
  }

  /** Event files uploaded to DATA_DIR/uploads/tfevents/<batch> (server/http/upload.ts), imported once. */
  importUpload(batch: string, name?: string): Promise<ImportView> {
    return this.import({ path: path.join(this.dataDir, "uploads", "tfevents", batch), follow: false, rootName: name ?? batch });
  }

  /** The imports, newest first. */
  list(): ImportView[] {
    return this.jobs.map(view).reverse();
  }

  get(id: string): ImportView {
    const job = this.jobs.find((j) => j.id === id);
    if (!job) throw new TRPCError({ code: "NOT_FOUND", message: `No TensorBoard import ${id}` });
    return view(job);
  }

  /** Ends the follow of one run (it is marked completed) or of every run of one import. */
  async stop(by: { runId?: string; importId?: string }): Promise<ImportView> {
    const job = this.jobs.find((j) => (by.importId ? j.id === by.importId : j.runs.some((r) => r.runId === by.runId)));
    if (!job) throw new TRPCError({ code: "NOT_FOUND", message: by.importId ? `No TensorBoard import ${by.importId}` : `Run ${by.runId} is not followed from a TensorBoard log directory` });
    await this.ticking.get(job.id);
    for (const run of job.runs) {
      if (!run.active || (by.runId && run.runId !== by.runId)) continue;
      run.active = false;
      this.tails.delete(run.runId);
      await this.outside.setStatus(run.runId, "completed");
    }
    this.settle(job);
    await this.persist();
    return view(job);
  }

  async close() {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.ticking.values());
    await this.saving;
  }

  private async newRun(f: { name: string; dir: string; file?: string }): Promise<ImportedRun> {
    const { id } = await this.outside.create({ name: f.name, source: "tensorboard", tags: { "tensorboard.logdir": f.dir } });
    return { runId: id, name: f.name, dir: f.dir, ...(f.file ? { file: f.file } : {}), active: true, files: {}, points: 0, tags: [], bytesRead: 0, bytesTotal: 0, problems: [] };
  }

  private schedule(job: ImportJob, ms: number) {
    if (this.closed) return;
    this.timers.set(job.id, setTimeout(() => {
      this.timers.delete(job.id);
      const run = this.step(job)
        .catch((e) => {
          job.state = "failed";
          job.error = errorText(e);
          console.error(`tensorboard import ${job.id} (${job.root}) failed:`, e);
          return this.persist().then(() => false);
        })
        .then((more) => {
          this.ticking.delete(job.id);
          if (job.state === "importing" || job.state === "following") this.schedule(job, more ? 0 : this.pollMs);
        });
      this.ticking.set(job.id, run);
    }, ms));
  }

  /** One poll of every active run of the job; true when bytes are left to read at once. */
  private async step(job: ImportJob): Promise<boolean> {
    if (job.follow && !job.runs.some((r) => r.file)) await this.discover(job);
    let more = false;
    for (const run of job.runs) {
      if (!run.active || this.closed) continue;
      if (job.follow && !(await this.stillFollowed(run))) continue;
      more = (await this.read(job, run)) || more;
    }
    const before = job.state;
    this.settle(job);
    if (job.state === "importing" && job.follow && !more) job.state = "following";
    if (job.state !== before || job.runs.length > 0) await this.persist();
    return more;
  }

  private async read(job: ImportJob, run: ImportedRun): Promise<boolean> {
    let tail = this.tails.get(run.runId);
    if (!tail) this.tails.set(run.runId, (tail = new RunTail(run.dir, run.files, run.file)));
    const r = await tail.poll(POLL_BYTES, !job.follow);
    try {
      for (let i = 0; i < r.points.length; i += LOG_POINTS) await this.outside.log(run.runId, r.points.slice(i, i + LOG_POINTS));
      this.logFailures.delete(run.runId);
    } catch (e) {
      // The cursors stay where the stored points end: the next poll reads these records again.
      this.tails.delete(run.runId);
      const failures = (this.logFailures.get(run.runId) ?? 0) + 1;
      this.logFailures.set(run.runId, failures);
      if (failures >= MAX_LOG_FAILURES) {
        run.active = false;
        this.note(run, `storing its points failed ${failures} times in a row, last: ${errorText(e)}; the import of this run stopped`);
        await this.outside.setStatus(run.runId, "failed").catch((e2) => console.error(`tensorboard: marking run ${run.runId} failed:`, e2));
      }
      return false;
    }
    for (const p of r.problems) this.note(run, p);
    run.points += r.points.length;
    if (run.tags.length < MAX_TAGS) {
      const tags = new Set(run.tags);
      for (const p of r.points) if (tags.size < MAX_TAGS) tags.add(p.name);
      run.tags = [...tags];
    }
    run.files = tail.cursors();
    run.bytesRead = tail.bytesRead;
    run.bytesTotal = tail.bytesTotal;
    if (!r.more && !job.follow) {
      run.active = false;
      await this.outside.setStatus(run.runId, "completed");
    }
    return r.more;
  }

  /** A followed run goes on while it runs; one a restart marked crashed (no trainer came back) is running again. */
  private async stillFollowed(run: ImportedRun): Promise<boolean> {
    const row = await this.db.run.findUnique({ where: { id: run.runId }, select: { status: true } });
    if (row && !ENDS_FOLLOW.includes(row.status)) {
      if (row.status !== "running") await this.outside.setStatus(run.runId, "running");
      return true;
    }
    run.active = false;
    this.tails.delete(run.runId);
    this.note(run, row ? `the run was ${row.status === "stopping" ? "stopped" : row.status}; following ended` : "the run was deleted; following ended");
    return false;
  }

  /** New run subdirectories of a followed log directory become runs of their own. */
  private async discover(job: ImportJob) {
    const known = new Set(job.runs.map((r) => r.dir));
    let found;
    try {
      found = await findRunDirs(job.root);
    } catch (e) {
      throw new Error(`${job.root} cannot be read any more: ${errorText(e)}`);
    }
    for (const f of found) if (!known.has(f.dir)) job.runs.push(await this.newRun({ dir: f.dir, name: f.dir === job.root ? (job.runs[0]?.name ?? f.name) : runName(job.root, f.dir) }));
  }

  private settle(job: ImportJob) {
    if ((job.state === "importing" || job.state === "following") && !job.runs.some((r) => r.active)) {
      job.state = job.follow ? "stopped" : "done";
      const t = this.timers.get(job.id);
      if (t) clearTimeout(t);
      this.timers.delete(job.id);
    }
  }

  private note(run: ImportedRun, problem: string) {
    console.warn(`tensorboard: run ${run.runId} (${run.name}): ${problem}`);
    if (run.problems.length < MAX_PROBLEMS) run.problems.push(problem);
    else if (run.problems.length === MAX_PROBLEMS) run.problems.push("further problems are in the server log only");
  }

  private prune() {
    while (this.jobs.length > MAX_JOBS) {
      const i = this.jobs.findIndex((j) => j.state !== "importing" && j.state !== "following");
      if (i < 0) break;
      this.jobs.splice(i, 1);
    }
  }

  /** Saves are chained: a later state never lands before an earlier one. */
  private persist(): Promise<void> {
    const jobs = structuredClone(this.jobs);
    this.saving = this.saving.then(() => this.store.save(jobs)).catch((e) => console.error(`tensorboard: saving ${this.store.file} failed:`, e));
    return this.saving;
  }
}
