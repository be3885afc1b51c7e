import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Socket } from "socket.io";
import { EV } from "../../lib/protocol";
import type { RunConfig } from "../../lib/run-config";
import type { Launcher, RunService } from "./runs";
import type { Watch } from "./watch";

const root = path.resolve(import.meta.dirname, "../..");
const TAIL_LINES = 20;

interface Child {
  proc: ChildProcess;
  socket: Socket | null;
  tail: string[];
  stopRequested: boolean;
  /** The trainer said how it ended (trainer:done); its exit then changes nothing. */
  reportedDone: boolean;
  killTimer: NodeJS.Timeout | null;
  exited: Promise<void>;
}

/**
 * Runs one trainer process per active run. The trainer connects back on /trainer; stop is asked
 * over that socket (or SIGTERM before it connects), and a trainer that does not exit in time is
 * killed. An exit the server did not ask for marks the run crashed, with the trainer's last words.
 */
export class Supervisor implements Launcher {
  private children = new Map<string, Child>();

  constructor(
    private runs: RunService,
    private serverUrl: () => string,
    private stopTimeoutMs: number,
    private watch: Watch | null = null,
  ) {}

  launch(run: { id: string; token: string; config: RunConfig }) {
    // A resumed run waits for its previous trainer to be gone, so two never share a run directory.
    const previous = this.children.get(run.id);
    if (previous) return void previous.exited.then(() => this.launch(run));
    const runDir = this.runs.runDir(run.id);
    fs.mkdirSync(runDir, { recursive: true });
    const configPath = path.join(runDir, "config.json");
    fs.writeFileSync(configPath, JSON.stringify(run.config, null, 2));
    const log = fs.createWriteStream(path.join(runDir, "trainer.log"), { flags: "a" });
    const proc = spawn(
      process.execPath,
      ["--import", "tsx", path.join(root, "trainer", "cli.ts"), "--config", configPath, "--run-dir", runDir,
        "--data-dir", this.runs.dataDir, "--server", this.serverUrl(), "--run-id", run.id],
      { cwd: root, env: { ...process.env, TRAINER_TOKEN: run.token }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const child: Child = { proc, socket: null, tail: [], stopRequested: false, reportedDone: false, killTimer: null, exited: Promise.resolve() };
    const keep = (chunk: Buffer) => {
      log.write(chunk);
      child.tail.push(...chunk.toString().split("\n").filter(Boolean));
      child.tail.splice(0, Math.max(0, child.tail.length - TAIL_LINES));
    };
    proc.stdout!.on("data", keep);
    proc.stderr!.on("data", keep);
    child.exited = new Promise((resolve) => {
      proc.on("error", (e) => keep(Buffer.from(`spawn failed: ${e.message}\n`)));
      proc.on("close", (code, signal) => {
        log.end();
        if (child.killTimer) clearTimeout(child.killTimer);
        if (this.children.get(run.id) === child) this.children.delete(run.id);
        // A trainer that said how it ended (failed ones exit 1) has its status stored; marking it
        // crashed now would hit the run's next launch when it was resumed meanwhile.
        if (child.reportedDone) {
          this.watch?.ended(run.id);
          return resolve();
        }
        const clean = code === 0 || (child.stopRequested && signal === "SIGTERM");
        const reason = clean ? null : `Trainer exited with ${signal ? `signal ${signal}` : `code ${code}`}: ${lastError(child.tail)}`;
        this.runs
          .trainerExited(run.id, reason, clean ? undefined : { code, signal, tail: [...child.tail] })
          .catch((e) => console.error("recording trainer exit failed:", e))
          .finally(() => {
            this.watch?.ended(run.id);
            resolve();
          });
      });
    });
    this.children.set(run.id, child);
    this.watch?.started(run.id, run.config);
  }

  attach(runId: string, socket: Socket) {
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

  requestStop(runId: string): boolean {
    const child = this.children.get(runId);
    if (!child) return false;
    child.stopRequested = true;
    this.watch?.stopping(runId);
    if (child.socket?.connected) child.socket.emit(EV.runStop);
    else child.proc.kill("SIGTERM");
    child.killTimer ??= setTimeout(() => child.proc.kill("SIGKILL"), this.stopTimeoutMs);
    return true;
  }

  isRunning(runId: string) {
    return this.children.has(runId);
  }

  /** Asks every trainer to checkpoint and stop, and waits for them to exit. */
  async stopAll() {
    const children = [...this.children.entries()];
    for (const [id] of children) await this.runs.stop(id).catch(() => this.requestStop(id));
    await Promise.all(children.map(([, child]) => child.exited));
  }
}

/** The most useful line of a dead trainer's output: its last error, else its last line. */
function lastError(tail: string[]): string {
  const err = [...tail].reverse().find((l) => /error/i.test(l));
  return (err ?? tail[tail.length - 1] ?? "no output").slice(0, 500);
}
