// The trainer's entry point. Standalone: `npm run train -- --config run.json [--backend webgpu]` prints progress.
// Under the dashboard's supervisor it also gets --server (one URL, or several to fail over between)
// and --run-id (token in TRAINER_TOKEN) and reports over socket.io instead.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { explainFailure } from "../../lib/anomaly/liveness";
import { EV, type CheckpointSaved, type MetricPoint, type TrainerDone } from "../../lib/protocol";
import { BACKENDS, RunConfig } from "../../lib/run-config";
import { wellFormed } from "../../lib/text-guard";
import { HANDED_BACK } from "../../lib/worker-protocol";
import { CheckpointUploader } from "../checkpoint/upload";
import { formatProgress } from "../loop/progress";
import { train } from "../loop/train";
import { Reporter } from "../report/reporter";
import { fail, parseFlags } from "./flags";

const Flags = z.object({
  config: z.string({ error: "--config <file.json> is required" }).min(1),
  "run-dir": z.string().min(1).optional(),
  "data-dir": z.string().min(1).default(process.env.DATA_DIR ?? "./data"),
  /** One server address, or several comma-separated (instances sharing a database) tried in turn. */
  server: z
    .string()
    .transform((s) => s.split(",").map((u) => u.trim()).filter(Boolean))
    .pipe(z.array(z.url({ error: "--server must be a URL such as http://127.0.0.1:3000, or several separated by commas" })).min(1, "--server needs at least one URL"))
    .optional(),
  "run-id": z.string().min(1).max(64).optional(),
  backend: z.enum(BACKENDS, { error: `--backend must be one of: ${BACKENDS.join(", ")}` }).optional(),
  /** On a remote worker: each checkpoint is uploaded to the server before it is reported (API key in WORKER_KEY). */
  "upload-checkpoints": z.boolean().default(false),
  /** On a remote worker: stdin is a pipe from the worker, and its end (the worker died) ends this trainer at once. */
  "exit-with-parent": z.boolean().default(false),
});

function parseCliFlags() {
  const flags = parseFlags(
    {
      config: { type: "string" }, "run-dir": { type: "string" }, "data-dir": { type: "string" }, server: { type: "string" }, "run-id": { type: "string" },
      backend: { type: "string" }, "upload-checkpoints": { type: "boolean" }, "exit-with-parent": { type: "boolean" },
    },
    Flags,
  );
  if (Boolean(flags.server) !== Boolean(flags["run-id"])) fail("--server and --run-id go together", 2);
  if (flags["upload-checkpoints"] && !flags.server) fail("--upload-checkpoints needs --server and --run-id", 2);
  return flags;
}

function readConfig(file: string): RunConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    fail(`cannot read config ${file}: ${(e as Error).message}`, 2);
  }
  const parsed = RunConfig.safeParse(raw);
  if (!parsed.success)
    fail(`invalid config ${file}:\n${parsed.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n")}`, 2);
  return parsed.data;
}

const flags = parseCliFlags();
const config = { ...readConfig(flags.config), ...(flags.backend && { backend: flags.backend }) };
const dataDir = path.resolve(flags["data-dir"]);
const runDir = path.resolve(flags["run-dir"] ?? path.join(dataDir, "runs", `cli-${config.name.replace(/[^\w.-]+/g, "_")}`));

/** How long a finished trainer waits for an absent server to take its last metrics before exiting with them journaled. */
const END_WAIT_MS = 15 * 60_000;

// Output goes to a log file under the supervisor, but a reader that goes away (a closed pipe)
// must not kill training: without a reader the lines have nowhere to go.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
  });

// A worker that is gone (killed, its machine lost) cannot see this trainer's end; its run has moved on.
if (flags["exit-with-parent"]) {
  process.stdin.on("end", () => {
    console.error("error: the worker that started this trainer went away; exiting");
    process.exit(70);
  });
  process.stdin.resume();
}

let reporter: Reporter | null = null;
let uploader: CheckpointUploader | null = null;
if (flags.server && flags["run-id"]) {
  const token = process.env.TRAINER_TOKEN ?? fail("TRAINER_TOKEN is not set", 2);
  fs.mkdirSync(runDir, { recursive: true });
  // The supervisor writes it too, right after the spawn; this covers a server killed in between.
  fs.writeFileSync(path.join(runDir, "trainer.pid"), String(process.pid));
  reporter = new Reporter(flags.server, flags["run-id"], token, runDir);
  if (flags["upload-checkpoints"]) uploader = new CheckpointUploader(flags.server, flags["run-id"], token, process.env.WORKER_KEY);
  await reporter.connected().catch((e: Error) => fail(e.message, 2));
}

let stopSignal = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => (stopSignal = true));
// From a worker that is leaving: checkpoint and exit, and leave the run active for the next worker.
let handBack = false;
process.on("SIGUSR2", () => (stopSignal = handBack = true));

const started = { at: Date.now(), step: 0 };
// Predictions go out without holding up training; a failed one is logged, as they only feed the
// per-example view, while the metrics carry the scores.
const predictionsSent = new Set<Promise<void>>();
const settlePredictions = (timeoutMs: number) =>
  Promise.race([Promise.allSettled(predictionsSent), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
let lastPrinted = 0;
/** The backend the trainer started on, for explaining a failed allocation. */
let backendName: string | null = config.backend === "auto" ? null : config.backend;
/** Checkpoint uploads, one after another; the run's end waits for them. */
let uploads: Promise<void> = Promise.resolve();
try {
  const result = await train(config, { runDir, dataDir, checkpoints: await reporter?.checkpoints() }, {
    async onStart(info) {
      Object.assign(started, { at: Date.now(), step: info.startStep });
      backendName = info.backend.split(/[ +]/)[0];
      // The run page shows the backend string, so it carries the worker count.
      const backend = info.workers > 1 ? `${info.backend} × ${info.workers} workers` : info.backend;
      console.log(`backend ${backend}, ${info.paramCount.toLocaleString("en-US")} parameters, starting at step ${info.startStep}`);
      if (info.warning) console.warn(`warning: ${info.warning}`);
      await reporter?.hello({ ...info, backend });
    },
    onMetrics(points: MetricPoint[]) {
      reporter?.push(points);
      if (reporter) reporter.lastStep = points[0]?.step ?? reporter.lastStep;
      if (Date.now() - lastPrinted > 1000 || points.some((p) => p.key === "val_loss")) {
        lastPrinted = Date.now();
        console.log(formatProgress(points, config.steps, started));
      }
    },
    beforeCheckpoint() {
      reporter?.persist();
    },
    onCheckpoint(info) {
      console.log(`checkpoint step ${info.step} → ${info.path} (${info.bytes} bytes, sha256 ${info.sha256.slice(0, 12)}…)`);
      if (uploader && reporter) return void (uploads = uploads.then(() => uploadAndReport(uploader!, reporter!, info)));
      // Not awaited: a server that is away records it when it is back (or finds it on disk).
      reporter?.deliver(EV.checkpointSaved, info).catch((e: Error) => console.error(`warning: checkpoint at step ${info.step} was not recorded: ${e.message}`));
    },
    onEvalPredictions(p) {
      if (!reporter) return;
      const sent = reporter
        .deliver(EV.evalPredictions, p, 120_000)
        .catch((e: Error) => console.error(`warning: ${p.task} predictions at step ${p.step} were not stored: ${e.message}`))
        .finally(() => predictionsSent.delete(sent));
      predictionsSent.add(sent);
    },
    onPhase(phase) {
      if (reporter) reporter.phase = phase;
    },
    async onRecovery(event) {
      if (!reporter) return;
      reporter.flush(); // the step's metrics first, so the server supersedes them too on a rollback
      await reporter.deliver(EV.trainerRecovery, event, 60_000);
    },
    onLog(message) {
      console.log(message);
      reporter?.log(message);
    },
    shouldStop: () => stopSignal || (reporter?.stopRequested ?? false),
  });
  console.log(`${result.status} at step ${result.step}`);
  await uploads;
  await settlePredictions(60_000);
  if (reporter && handBack && result.status === "stopped") await handOver(reporter);
  if (reporter) await finish(reporter, { status: result.status, step: result.step });
  process.exit(0);
} catch (e) {
  // wasm's failed malloc says only "Aborted(). Build with -sASSERTIONS for more info.": named here as running out of memory.
  const message = explainFailure(e instanceof Error ? e.message : String(e), backendName);
  console.error(`error: ${message}`);
  await settlePredictions(5000);
  if (reporter) await finish(reporter, { status: "failed", step: reporter.lastStep, error: wellFormed(message, 4000) }).catch(() => {});
  process.exit(1);
}

/**
 * Uploads a checkpoint from a remote worker, then reports it once every metric sent before it is
 * acked: the worker's journal dies with its machine, so a run resumed elsewhere from this
 * checkpoint must find the steps before it already stored.
 */
async function uploadAndReport(uploader: CheckpointUploader, reporter: Reporter, info: CheckpointSaved) {
  if (!fs.existsSync(info.path)) return void console.log(`checkpoint step ${info.step} was replaced before its upload; skipped`);
  const started = Date.now();
  try {
    const saved = await uploader.upload(info);
    const seconds = (Date.now() - started) / 1000;
    const message = `checkpoint step ${info.step} uploaded: ${(info.bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s (${(info.bytes / 1e6 / Math.max(seconds, 1e-3)).toFixed(1)} MB/s)`;
    console.log(message);
    reporter.log(message);
    await reporter.ackedSoFar(10 * 60_000);
    await reporter.deliver(EV.checkpointSaved, saved);
  } catch (e) {
    console.error(`warning: checkpoint at step ${info.step} was not uploaded: ${(e as Error).message}`);
  }
}

/** Hands the last metrics over and exits without saying the run ended: it goes on elsewhere from the last checkpoint. */
async function handOver(reporter: Reporter): Promise<never> {
  await reporter.drain(60_000).catch((e: Error) => console.error(`warning: ${e.message}`));
  console.log("handed back to the queue");
  reporter.close();
  process.exit(HANDED_BACK);
}

/**
 * Hands the last metrics over, then says how the run ended. A server that stays away past
 * END_WAIT_MS leaves the run to its restart policy: the journal keeps the metrics and the
 * checkpoint the weights, so the next trainer replays them and finds nothing left to train.
 */
async function finish(reporter: Reporter, done: TrainerDone) {
  if (!reporter.online) console.log(`waiting up to ${END_WAIT_MS / 60_000} min for the server to take the last metrics`);
  try {
    await reporter.drain(END_WAIT_MS);
    await reporter.deliver(EV.trainerDone, done, 60_000);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    reporter.close();
    process.exit(3);
  }
  reporter.close();
}
