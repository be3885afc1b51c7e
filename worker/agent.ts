import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Assignment, GpuInfo, HeartbeatAnswer, WorkerInfo, WORKER_PHASES } from "../lib/worker-protocol";
import { HANDED_BACK } from "../lib/worker-protocol";
import { fetchForRun } from "./fetch";
import { ServerApi, ServerRefused } from "./server-api";

const TAIL_LINES = 20;
const RETRY_MS = 2000;
/** How often a worker with a free slot asks for a queued run. */
const CLAIM_MS = 500;

type Phase = (typeof WORKER_PHASES)[number];

interface Job {
  assignment: Assignment;
  phase: Phase;
  detail: string;
  child: ChildProcess | null;
  gpu: GpuInfo | null;
  /** Lost to another worker (the server said so): killed, and its exit is not reported. */
  lost: boolean;
  stopAsked: boolean;
  /** The worker is leaving: the trainer checkpoints, uploads and exits, and the run goes back to its queue. */
  handBack: boolean;
}

export interface AgentOptions {
  api: ServerApi;
  info: WorkerInfo;
  dataDir: string;
  key: string;
  /** How to start this program again with a subcommand: [node flags…, entry file]. */
  entry: string[];
  log: (line: string) => void;
}

/**
 * The worker's loop: register, then every heartbeat interval say what each held run is doing,
 * act on the answer (stop a run, kill one the server has given to another worker), and claim
 * queued runs while there is room. Each claimed run is fetched, then trained by a trainer child
 * that streams to the server as a local trainer does; its exit is reported. SIGTERM stops every
 * trainer (each checkpoints and uploads), then the worker leaves.
 */
export class Agent {
  private jobs = new Map<string, Job>();
  private heartbeatMs = 2000;
  private leaving = false;
  private timer: NodeJS.Timeout | null = null;
  private claiming = false;
  private lastBeat = 0;

  constructor(private o: AgentOptions) {}

  async start() {
    for (;;) {
      try {
        const r = await this.o.api.register(this.o.info);
        this.heartbeatMs = r.heartbeatMs;
        const gpus = this.o.info.gpus.length ? this.o.info.gpus.map((g) => g.name).join(", ") : "no GPU";
        this.o.log(`registered with ${this.o.api.server} as ${r.id} (${this.o.info.name}; queues ${this.o.info.queues.join(", ")}; ${gpus}; auto → ${this.o.info.autoBackend ?? "?"}; holds last ${r.leaseTtlMs / 1000} s past a heartbeat)`);
        break;
      } catch (e) {
        if (e instanceof ServerRefused) throw new Error(`the server refused the worker: ${e.message}`);
        this.o.log(`cannot reach ${this.o.api.server} (${(e as Error).message}); trying again in ${RETRY_MS / 1000} s`);
        await sleep(RETRY_MS);
      }
    }
    this.tick();
  }

  /** Heartbeats every heartbeatMs; in between, a worker with a free slot asks for a run every CLAIM_MS, so a queued run waits at most that long. */
  private tick() {
    this.timer = setTimeout(async () => {
      if (Date.now() - this.lastBeat >= this.heartbeatMs) {
        this.lastBeat = Date.now();
        await this.beat().catch((e) => this.o.log(`heartbeat failed: ${(e as Error).message}`));
      }
      if (!this.leaving && this.jobs.size < this.o.info.maxRuns) await this.claim().catch((e) => this.o.log(`claiming a run failed: ${(e as Error).message}`));
      if (!this.leaving || this.jobs.size > 0) this.tick();
    }, Math.min(CLAIM_MS, this.heartbeatMs));
  }

  private async beat() {
    const runs = [...this.jobs.entries()].map(([runId, j]) => ({ runId, phase: j.phase, detail: j.detail.slice(0, 300) }));
    let answer: HeartbeatAnswer;
    try {
      answer = await this.o.api.heartbeat({ runs });
    } catch (e) {
      if (!(e instanceof ServerRefused) || e.status === 401 || e.status === 403) throw e;
      // The server no longer knows this worker (it left, or the database was reset): what it held is gone.
      this.o.log(`the server does not know this worker any more (${e.message}); its runs are dropped and it registers again`);
      for (const runId of this.jobs.keys()) this.drop(runId, "the server forgot this worker");
      await this.o.api.register(this.o.info);
      return;
    }
    for (const runId of answer.lost) this.drop(runId, "the server gave it to another worker (this worker's hold lapsed)");
    for (const runId of answer.stop) this.stop(runId);
  }

  private async claim() {
    if (this.claiming) return;
    this.claiming = true;
    try {
      while (!this.leaving && this.jobs.size < this.o.info.maxRuns) {
        const a = await this.o.api.claim();
        if (!a) return;
        this.o.log(`run ${a.name} (${a.runId}) claimed${a.resume ? `, resuming from step ${a.resume.step}` : ""}`);
        const job: Job = { assignment: a, phase: "fetching", detail: "", child: null, gpu: this.freeGpu(), lost: false, stopAsked: false, handBack: false };
        this.jobs.set(a.runId, job);
        void this.runJob(job);
      }
    } finally {
      this.claiming = false;
    }
  }

  /** With a GPU per run, each trainer sees only its own (CUDA_VISIBLE_DEVICES); one run may use them all. */
  private freeGpu(): GpuInfo | null {
    if (this.o.info.maxRuns === 1 || this.o.info.gpus.length < this.o.info.maxRuns) return null;
    const used = new Set([...this.jobs.values()].map((j) => j.gpu?.index));
    return this.o.info.gpus.find((g) => !used.has(g.index)) ?? null;
  }

  private async runJob(job: Job) {
    const a = job.assignment;
    const shared = this.o.info.sharedStorage;
    const runDir = shared ? a.serverRunDir : path.join(this.o.dataDir, "runs", a.runId);
    const dataDir = shared ? path.dirname(path.dirname(a.serverRunDir)) : this.o.dataDir;
    let config = a.config;
    try {
      if (shared && !fs.existsSync(dataDir))
        throw new Error(`shared storage: the server's DATA_DIR ${dataDir} is not on this machine; mount it at the same path, or drop --shared-storage`);
      if (!shared) {
        const started = Date.now();
        config = await fetchForRun(this.o.api, a, this.o.dataDir, runDir, (d) => (job.detail = d));
        this.o.log(`run ${a.runId}: fetched what it needs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
    } catch (e) {
      const message = (e as Error).message;
      this.o.log(`run ${a.runId}: ${message}`);
      if (!job.lost) await this.report(a.runId, { code: null, signal: null, tail: [], setupError: `could not fetch what the run needs: ${message}` });
      this.jobs.delete(a.runId);
      return;
    }
    if (job.lost || job.stopAsked || job.handBack) {
      if (!job.lost) await this.report(a.runId, { code: 0, signal: null, tail: ["stopped before its trainer started"], requeue: job.handBack && !job.stopAsked });
      this.jobs.delete(a.runId);
      return;
    }
    fs.mkdirSync(runDir, { recursive: true });
    const configPath = path.join(runDir, "config.json");
    fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
    const logFile = path.join(runDir, "trainer.log");
    const log = fs.openSync(logFile, "a");
    this.o.api.learn(a.servers);
    const servers = this.o.api.servers.join(",");
    const args = [...this.o.entry, "trainer", "--config", configPath, "--run-dir", runDir, "--data-dir", dataDir, "--server", servers, "--run-id", a.runId, "--exit-with-parent", ...(shared ? [] : ["--upload-checkpoints"])];
    const env = { ...process.env, TRAINER_TOKEN: a.token, WORKER_KEY: this.o.key, ...(job.gpu ? { CUDA_VISIBLE_DEVICES: String(job.gpu.index) } : {}) };
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, args, { env, stdio: ["pipe", log, log] });
    } finally {
      fs.closeSync(log);
    }
    job.child = child;
    job.phase = job.stopAsked ? "stopping" : "training";
    job.detail = `trainer pid ${child.pid}${job.gpu ? ` on GPU ${job.gpu.index}` : ""}`;
    this.o.log(`run ${a.runId}: trainer started (${job.detail})`);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
      child.on("error", (e) => fs.appendFileSync(logFile, `spawn failed: ${e.message}\n`));
      child.on("close", (c, s) => resolve([c, s]));
    });
    this.o.log(`run ${a.runId}: trainer exited with ${signal ? `signal ${signal}` : `code ${code}`}`);
    // Reported before the job goes, so a leaving worker says goodbye only after its runs' ends are known.
    if (!job.lost) await this.report(a.runId, { code, signal, tail: readTail(logFile), requeue: job.handBack && code === HANDED_BACK });
    this.jobs.delete(a.runId);
  }

  /** Says how a launch ended, retrying while the server is away; a refusal means the run is not ours any more. */
  private async report(runId: string, report: Parameters<ServerApi["exit"]>[1]) {
    for (let attempt = 0; attempt < 30; attempt++) {
      try {
        return void (await this.o.api.exit(runId, report));
      } catch (e) {
        if (e instanceof ServerRefused) return this.o.log(`run ${runId}: the server did not take its exit (${e.message})`);
        await sleep(RETRY_MS);
      }
    }
    this.o.log(`run ${runId}: could not report its exit; its hold lapses and the server decides`);
  }

  private stop(runId: string) {
    const job = this.jobs.get(runId);
    if (!job || job.stopAsked) return;
    job.stopAsked = true;
    job.phase = "stopping";
    this.o.log(`run ${runId}: stop asked; the trainer checkpoints and exits`);
    job.child?.kill("SIGTERM");
  }

  private drop(runId: string, why: string) {
    const job = this.jobs.get(runId);
    if (!job) return;
    job.lost = true;
    this.o.log(`run ${runId}: ${why}; its trainer is killed`);
    job.child?.kill("SIGKILL");
    if (!job.child) this.jobs.delete(runId);
  }

  /**
   * Hands every run back (a scheduler's SIGTERM: preemption, a time limit): each trainer
   * checkpoints, uploads and exits, and its run goes back to its queue for another worker, as
   * neither a stop nor a crash. Then the worker says goodbye.
   */
  async shutdown() {
    if (this.leaving) return;
    this.leaving = true;
    this.o.log(`leaving: handing ${this.jobs.size} run(s) back to their queues after a last checkpoint`);
    for (const job of this.jobs.values()) {
      job.handBack = true;
      job.phase = "stopping";
      job.child?.kill("SIGUSR2");
    }
    while (this.jobs.size > 0) await sleep(200);
    if (this.timer) clearTimeout(this.timer);
    if (this.o.api.id) await this.o.api.leave().catch((e) => this.o.log(`saying goodbye failed: ${(e as Error).message}`));
  }
}

function readTail(file: string): string[] {
  try {
    const text = fs.readFileSync(file, "utf8");
    return text.split("\n").filter(Boolean).slice(-TAIL_LINES).map((l) => l.slice(0, 2000));
  } catch {
    return [];
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
