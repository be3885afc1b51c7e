import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Socket } from "socket.io";
import { explainFailure } from "../../../lib/anomaly/liveness";
import { EV } from "../../../lib/protocol";
import type { RunConfig } from "../../../lib/run-config";
import type { Launcher, RunService } from "../runs/runs";
import { lastError, LOG_FILE, PID_FILE, readTail } from "../runs/trainer-log";
import type { RemoteRuns } from "./remote-runs";
import type { Watch } from "./watch";

const root = path.resolve(import.meta.dirname, "../../..");
/** How often an adopted trainer (not our child, so no exit event) is checked for life. */
const ADOPTED_POLL_MS = 1000;

type Launch = { id: string; token: string; config: RunConfig };

interface Child {
  pid: number;
  /** null for a trainer adopted from an earlier server: it is not our child. */
  proc: ChildProcess | null;
  socket: Socket | null;
  stopRequested: boolean;
  /** The trainer said how it ended (trainer:done); its exit then changes nothing. */
  reportedDone: boolean;
  /** Handed to another instance (scale-out): left running, and its exit is that instance's to see. */
  released: boolean;
  killTimer: NodeJS.Timeout | null;
  /** Stops checking an adopted trainer for life. */
  unwatch: () => void;
  exited: Promise<void>;
}

/**
 * Runs one trainer process per active run, at most `maxTrainers` at once; the rest wait in order,
 * queued. A trainer's output goes to trainer.log in its run directory (a file, not a pipe, so it
 * outlives the server), and its pid to trainer.pid, so a restarted server can tell a live trainer
 * from a dead one and adopt it. The trainer connects back on /trainer; stop is asked over that
 * socket (or SIGTERM before it connects), and a trainer that does not exit in time is killed. An
 * exit the server did not ask for marks the run crashed, with the trainer's last words.
 */
export class Supervisor implements Launcher {
  private children = new Map<string, Child>();
  private queue: Launch[] = [];
  private waitTimer: NodeJS.Timeout | null = null;
  /** Runs with a queue train on remote workers: launching one leaves it for a worker to claim. */
  remote: RemoteRuns | null = null;
  /** How long a worker gets to reach a new owner of its run (WORKER_LEASE_TTL_MS). */
  workerLeaseTtlMs = 30_000;

  constructor(
    private runs: RunService,
    private serverUrl: () => string,
    private stopTimeoutMs: number,
    private watch: Watch | null = null,
    private maxTrainers = Infinity,
    /** Where else the trainer may reach a server when this one is gone (scale-out), after serverUrl. */
    private fallbackUrls: () => string[] = () => [],
  ) {}

  launch(run: Launch) {
    if (run.config.queue && this.remote) return this.remote.launch(run);
    // A resumed run waits for its previous trainer to be gone, so two never share a run directory.
    const previous = this.children.get(run.id);
    if (previous) return void previous.exited.then(() => this.launch(run));
    this.queue = this.queue.filter((q) => q.id !== run.id);
    this.queue.push(run);
    this.startQueued();
  }

  /** How many queued runs start before this one; null when it is not waiting for a slot. */
  queuePosition(runId: string): number | null {
    const i = this.queue.findIndex((q) => q.id === runId);
    return i < 0 ? null : i;
  }

  private startQueued() {
    // Runs restarted at boot (their trainer died while no server ran) wait until it listens.
    if (!this.serverUrl()) {
      this.waitTimer ??= setTimeout(() => { this.waitTimer = null; this.startQueued(); }, 200);
      return;
    }
    const started: string[] = [];
    while (this.queue.length > 0 && this.children.size < this.maxTrainers) {
      const run = this.queue.shift()!;
      started.push(run.id);
      this.start(run);
    }
    // Everyone still waiting moved up.
    if (started.length > 0 && this.queue.length > 0) this.runs.queueMoved(this.queue.map((q) => q.id)).catch((e) => console.error("pushing queue positions failed:", e));
  }

  private start(run: Launch) {
    const runDir = this.runs.runDir(run.id);
    fs.mkdirSync(runDir, { recursive: true });
    const configPath = path.join(runDir, "config.json");
    fs.writeFileSync(configPath, JSON.stringify(run.config, null, 2));
    const logFile = path.join(runDir, LOG_FILE);
    const log = fs.openSync(logFile, "a");
    let proc: ChildProcess;
    try {
      proc = spawn(
        process.execPath,
        ["--import", "tsx", path.join(root, "trainer", "cli", "train.ts"), "--config", configPath, "--run-dir", runDir,
          "--data-dir", this.runs.dataDir, "--server", this.dialList(), "--run-id", run.id],
        { cwd: root, env: { ...process.env, TRAINER_TOKEN: run.token }, stdio: ["ignore", log, log] },
      );
    } finally {
      fs.closeSync(log); // the child holds its own copy
    }
    if (proc.pid !== undefined) fs.writeFileSync(path.join(runDir, PID_FILE), String(proc.pid));
    const child = this.track(run.id, proc.pid ?? -1, proc);
    child.exited = new Promise((resolve) => {
      proc.on("error", (e) => fs.appendFileSync(logFile, `spawn failed: ${e.message}\n`));
      proc.on("close", (code, signal) => void this.ended(run.id, child, code, signal).then(resolve));
    });
    this.watch?.started(run.id, run.config);
  }

  /** This server first, then the others a trainer may fail over to. */
  private dialList() {
    return [...new Set([this.serverUrl(), ...this.fallbackUrls()])].join(",");
  }

  /**
   * Takes on a trainer that an earlier server started and that still runs: its pid file names a
   * live trainer of this run. Returns false when there is none (the run's trainer died).
   */
  adopt(runId: string, config: RunConfig): boolean {
    if (config.queue && this.remote) {
      this.remote.adopt(runId, config, this.workerLeaseTtlMs).catch((e) => console.error(`run ${runId}: extending its worker's hold failed:`, e));
      return true;
    }
    const pid = readPid(this.runs.runDir(runId));
    if (pid === null || !isTrainer(pid, runId)) return false;
    const child = this.track(runId, pid, null);
    child.exited = new Promise((resolve) => {
      const poll = setInterval(() => {
        if (isTrainer(pid, runId)) return;
        clearInterval(poll);
        void this.ended(runId, child, null, null).then(resolve);
      }, ADOPTED_POLL_MS);
      poll.unref();
      child.unwatch = () => {
        clearInterval(poll);
        resolve();
      };
    });
    // Liveness from here: its heartbeats must resume, as after a fresh start.
    this.watch?.started(runId, config);
    return true;
  }

  private track(runId: string, pid: number, proc: ChildProcess | null): Child {
    const child: Child = { pid, proc, socket: null, stopRequested: false, reportedDone: false, released: false, killTimer: null, unwatch: () => {}, exited: Promise.resolve() };
    this.children.set(runId, child);
    return child;
  }

  private async ended(runId: string, child: Child, code: number | null, signal: NodeJS.Signals | null) {
    if (child.released) return;
    if (child.killTimer) clearTimeout(child.killTimer);
    if (this.children.get(runId) === child) this.children.delete(runId);
    fs.rmSync(path.join(this.runs.runDir(runId), PID_FILE), { force: true });
    try {
      // A trainer that said how it ended (failed ones exit 1) has its status stored; marking it
      // crashed now would hit the run's next launch when it was resumed meanwhile.
      if (child.reportedDone) return;
      // An adopted trainer's exit status is unknown: only a stop we asked for makes it clean.
      const clean = child.proc ? code === 0 || (child.stopRequested && signal === "SIGTERM") : child.stopRequested;
      const tail = readTail(path.join(this.runs.runDir(runId), LOG_FILE));
      const how = child.proc ? (signal ? `signal ${signal}` : `code ${code}`) : "an unknown status (it was adopted after a server restart)";
      const reason = clean ? null : explainFailure(`Trainer exited with ${how}: ${lastError(tail)}`, null);
      await this.runs
        .trainerExited(runId, reason, clean ? undefined : { code, signal, tail })
        .catch((e) => console.error("recording trainer exit failed:", e));
    } finally {
      this.watch?.ended(runId);
      this.startQueued();
    }
  }

  attach(runId: string, socket: Socket) {
    if (this.remote?.attach(runId, socket)) return true;
    const child = this.children.get(runId);
    if (!child) return false;
    child.socket = socket;
    if (child.stopRequested) socket.emit(EV.runStop);
    return true;
  }

  reportedDone(runId: string) {
    const child = this.children.get(runId);
    if (child) child.reportedDone = true;
  }

  /** Asks the run's trainer to stop; false when none runs (a queued run leaves the queue). */
  requestStop(runId: string): boolean {
    if (this.remote?.requestStop(runId)) return true;
    const waiting = this.queuePosition(runId);
    if (waiting !== null) {
      this.queue.splice(waiting, 1);
      if (this.queue.length > 0) this.runs.queueMoved(this.queue.map((q) => q.id)).catch((e) => console.error("pushing queue positions failed:", e));
    }
    const child = this.children.get(runId);
    if (!child) return false;
    child.stopRequested = true;
    this.watch?.stopping(runId);
    if (child.socket?.connected) child.socket.emit(EV.runStop);
    else signalPid(child.pid, "SIGTERM");
    child.killTimer ??= setTimeout(() => signalPid(child.pid, "SIGKILL"), this.stopTimeoutMs);
    return true;
  }

  isRunning(runId: string) {
    return this.children.has(runId) || (this.remote?.has(runId) ?? false);
  }

  /** Whether stop was already asked of the run's trainer. */
  stopAsked(runId: string) {
    return (this.remote?.stopAsked(runId) ?? false) || (this.children.get(runId)?.stopRequested ?? false);
  }

  /**
   * Lets a run go without touching its trainer (scale-out: another instance took its lease and
   * adopts the trainer, or this one is leaving with peers alive): it leaves the queue, and its
   * trainer is no longer watched, signalled or mourned here.
   */
  release(runId: string) {
    this.remote?.release(runId);
    const waiting = this.queuePosition(runId);
    if (waiting !== null) this.queue.splice(waiting, 1);
    const child = this.children.get(runId);
    if (!child) return;
    child.released = true;
    if (child.killTimer) clearTimeout(child.killTimer);
    child.unwatch();
    this.children.delete(runId);
    this.watch?.ended(runId);
    this.startQueued();
  }

  /** Releases every run at once (a graceful exit that hands them to the other instances). */
  releaseAll() {
    this.remote?.releaseAll();
    this.queue = [];
    if (this.waitTimer) clearTimeout(this.waitTimer);
    for (const runId of [...this.children.keys()]) this.release(runId);
  }

  /** Asks every trainer to checkpoint and stop, and waits for them to exit. */
  async stopAll() {
    this.queue = [];
    if (this.waitTimer) clearTimeout(this.waitTimer);
    const children = [...this.children.entries()];
    for (const [id] of children) await this.runs.stop(id).catch(() => this.requestStop(id));
    await Promise.all(children.map(([, child]) => child.exited));
  }
}

function readPid(runDir: string): number | null {
  const file = path.join(runDir, PID_FILE);
  if (!fs.existsSync(file)) return null;
  const pid = Number(fs.readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** Whether pid is a live trainer of this run; on Linux its command line is checked too, as pids are reused. */
function isTrainer(pid: number, runId: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false; // ESRCH: gone; EPERM: a process that is not ours, so no trainer we started
  }
  const proc = `/proc/${pid}`;
  if (!fs.existsSync(proc)) return true;
  try {
    if (/\) Z /.test(fs.readFileSync(`${proc}/stat`, "utf8"))) return false; // exited, not yet reaped
    const args = fs.readFileSync(`${proc}/cmdline`, "utf8").split("\0");
    return args.includes(runId) && args.some((a) => a.endsWith(path.join("trainer", "cli", "train.ts")));
  } catch {
    return false; // it exited while we looked
  }
}

function signalPid(pid: number, signal: NodeJS.Signals) {
  if (pid <= 0) return; // a spawn that failed has no pid, and -1 or 0 would signal far more than one trainer
  try {
    process.kill(pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e; // already gone is fine
  }
}
