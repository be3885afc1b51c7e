// `npm run bench:workers`: remote workers (docs/workers.md) against the real server, each number
// next to a reference measured in the same invocation. Printed, not asserted.
//  1. Checkpoint upload: CheckpointUploader.upload() of a random file over loopback, with the API
//     key and the trainer token of a run a worker claimed through /api/workers; next to a local
//     fs.copyFile into DATA_DIR (disk ceiling) and one plain HTTP PUT of the whole file to a bare
//     node:http server (loopback ceiling); and the bytes a resumed upload sends twice.
//  2. Queued → first step: run.create to the first metric point past step 0 on a browser socket,
//     for a run on an idle warm worker (npm run worker, dataset already fetched) and for the same
//     run on the server's own trainer (queue null); and a cold worker's first run once.
// Flags: --mb N (256) --repeats N (3) --runs N (3) --steps N (30) --part upload|start|both --out <file> --keep
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Socket } from "socket.io-client";
import { z } from "zod";
import { buildUiIfStale } from "../scripts/start";
import { ADMIN_ENV, socketWith } from "../tests/helpers/auth";
import { startServer, tempDataDir, type TestServer } from "../tests/helpers/server";
import { startWorker, writeKey, type TestWorker } from "../tests/helpers/worker";
import { parseFlags } from "../trainer/cli/flags";
import { prepareDataset, timeToFirstStep, workerIdle, type StartTiming } from "./remote-workers-start";
import { measureUploads, median, type UploadResult } from "./remote-workers-upload";

const int = (name: string, min: number, max: number) =>
  z.coerce.number({ error: `--${name} must be a number` }).int(`--${name} must be a whole number`).min(min, `--${name} must be at least ${min}`).max(max, `--${name} must be at most ${max}`);
const Flags = z.object({
  mb: int("mb", 1, 4096).default(256),
  repeats: int("repeats", 1, 20).default(3),
  runs: int("runs", 1, 20).default(3),
  steps: int("steps", 2, 10_000).default(30),
  part: z.enum(["upload", "start", "both"], { error: "--part must be upload, start or both" }).default("both"),
  out: z.string().min(1).default("bench-results/remote-workers.json"),
  /** Leaves the server's and the worker's data directories in place (their trainer.log files), and says where. */
  keep: z.boolean().default(false),
});
const flags = parseFlags(Object.fromEntries(Object.keys(Flags.shape).map((k) => [k, { type: k === "keep" ? ("boolean" as const) : ("string" as const) }])), Flags);

const started = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

const dirs: string[] = [];
const workers: TestWorker[] = [];
let server: TestServer | null = null;
let socket: Socket | null = null;

async function stopWorker(w: TestWorker) {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  w.proc.kill("SIGTERM");
  const timer = setTimeout(() => w.proc.kill("SIGKILL"), 20_000);
  await w.exited;
  clearTimeout(timer);
}

async function cleanUp() {
  socket?.close();
  await Promise.all(workers.map(stopWorker));
  if (server) {
    const s = server;
    const timer = setTimeout(() => s.proc.kill("SIGKILL"), 30_000);
    await s.stop();
    clearTimeout(timer);
  }
  if (flags.keep) console.log(`kept: ${dirs.join(" ")}`);
  else for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}

let cleaning: Promise<void> | null = null;
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the server and workers, removing temp dirs`);
    cleaning ??= cleanUp();
    void cleaning.finally(() => process.exit(130));
  });

const mkdir = (label: string) => {
  const d = tempDataDir(label);
  dirs.push(d);
  return d;
};

interface StartResult {
  coldWorker: { registerS: number; timing: StartTiming };
  worker: StartTiming[];
  local: StartTiming[];
  datasetPrepareS: number;
}

let failed = false;
const results: { upload?: UploadResult; start?: StartResult } = {};
try {
  console.log(`${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; ${JSON.stringify(flags)}`);
  buildUiIfStale();
  const dataDir = mkdir("bench-workers-server");
  server = await startServer(dataDir, { ...ADMIN_ENV });
  const { key, api } = await writeKey(server.url, "bench-workers");
  log(`server at ${server.url} (SQLite, sign-in on, a write API key)`);

  if (flags.part !== "start") {
    results.upload = await measureUploads({ url: server.url, key, api, dataDir, scratch: mkdir("bench-workers-src"), mb: flags.mb, repeats: flags.repeats, log });
    printUpload(results.upload);
  }

  if (flags.part !== "upload") {
    const dataset = await prepareDataset(api);
    log(`dataset ${dataset.id} prepared in ${dataset.seconds.toFixed(1)} s`);
    socket = await socketWith(server.url, { token: key });
    const workerDir = mkdir("bench-workers-w");
    const workerStart = performance.now();
    const w = startWorker(server.url, key, workerDir, ["--queue", "bench", "--name", "bench-warm"]);
    workers.push(w);
    await workerIdle(api, "bench-warm", w.output);
    const registerS = (performance.now() - workerStart) / 1000;
    log(`worker registered and idle ${registerS.toFixed(1)} s after its start (backend probe included)`);
    const base = { api, socket, dataset: dataset.id, steps: flags.steps };
    // Its first run fetches the dataset into the worker's empty DATA_DIR: the cold case, and the warm-up.
    const cold = await timeToFirstStep({ ...base, queue: "bench", name: "bench-cold", workerOutput: w.output });
    log(`cold worker: first step ${cold.firstStep.toFixed(2)} s after run.create (fetch ${cold.fetchedS?.toFixed(1)} s)`);
    // The server's own trainer gets one unmeasured launch too, so neither side pays first-start costs.
    await timeToFirstStep({ ...base, queue: null, name: "bench-local-warmup" });
    const start: StartResult = { coldWorker: { registerS, timing: cold }, worker: [], local: [], datasetPrepareS: dataset.seconds };
    for (let i = 1; i <= flags.runs; i++) {
      // Alternating which goes first spreads any drift in the machine's load over both.
      const order = i % 2 ? (["worker", "local"] as const) : (["local", "worker"] as const);
      for (const which of order) {
        const t = which === "worker"
          ? await timeToFirstStep({ ...base, queue: "bench", name: `bench-worker-${i}`, workerOutput: w.output })
          : await timeToFirstStep({ ...base, queue: null, name: `bench-local-${i}` });
        start[which].push(t);
        log(`${which} run ${i}: first step ${t.firstStep.toFixed(2)} s${t.claimed !== null ? ` (claimed at ${t.claimed.toFixed(2)} s)` : ""}`);
      }
    }
    results.start = start;
    printStart(start);
  }
} catch (e) {
  failed = true;
  console.error(`error: ${(e as Error).stack ?? e}`);
  if (server) console.error(`server output (tail):\n${server.output().slice(-3000)}`);
} finally {
  cleaning ??= cleanUp();
  await cleaning;
}
if (results.upload || results.start) {
  fs.mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
  fs.writeFileSync(flags.out, JSON.stringify({ flags, at: new Date().toISOString(), cores: os.availableParallelism(), results }, null, 2));
  console.log(`\nwrote ${flags.out}`);
}
process.exit(failed ? 1 : 0);

function table(head: string[], rows: string[][]) {
  console.log(`\n| ${head.join(" | ")} |\n| ${head.map(() => "---").join(" | ")} |`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

function printUpload(u: UploadResult) {
  const up = median(u.upload.mbPerS);
  const f = (x: number) => x.toFixed(0);
  console.log(`\nCheckpoint upload, ${(u.bytes / 1e6).toFixed(0)} MB (${u.bytes / 1024 / 1024} MiB) over loopback, ${u.upload.mbPerS.length} repeats (MB/s = 10^6 bytes/s)`);
  table(
    ["path", "MB/s median", "MB/s min", "upload / this"],
    [u.upload, ...u.ceilings].map((r) => [r.label, f(median(r.mbPerS)), f(Math.min(...r.mbPerS)), r === u.upload ? "—" : `${((100 * up) / median(r.mbPerS)).toFixed(0)}%`]),
  );
  const p = u.phases;
  console.log(
    `upload() phases (median): chunk PUTs ${median(p.putS).toFixed(2)} s (slowest one ${median(p.slowestPutS).toFixed(2)} s), ` +
      `commit ${median(p.commitS).toFixed(2)} s (the server's sha256 of the whole file, fsync, rename), offset GET + reading chunks ${median(p.otherS).toFixed(2)} s; ` +
      `${median(p.requests)} requests per upload; the claim was answered in ${u.claimMs.toFixed(0)} ms`,
  );
  const r = u.resume;
  console.log(
    `resumed upload: ${(r.sentByHand / 1e6).toFixed(1)} MB sent by hand, the last chunk cut half-way (the server kept ${(r.keptOfCutChunk / 1e6).toFixed(1)} MB of it, offset ${r.cutAt}); ` +
      `upload() then sent ${(r.sentByUpload / 1e6).toFixed(1)} MB in ${r.seconds.toFixed(2)} s, re-sent ${r.resent} bytes; requests ${JSON.stringify(r.statuses)}`,
  );
}

function printStart(s: StartResult) {
  const f = (x: number | null) => (x === null || Number.isNaN(x) ? "—" : x.toFixed(2));
  const med = (ts: StartTiming[], k: keyof StartTiming) => {
    const xs = ts.map((t) => t[k]).filter((x): x is number => typeof x === "number" && !Number.isNaN(x));
    return xs.length ? median(xs) : null;
  };
  console.log(`\nQueued → first step (s after run.create; medians of ${s.worker.length} runs each; dataset prepared in ${s.datasetPrepareS.toFixed(1)} s)`);
  const row = (label: string, ts: StartTiming[]) => [
    label, f(med(ts, "firstStep")), f(Math.min(...ts.map((t) => t.firstStep))), f(Math.max(...ts.map((t) => t.firstStep))),
    f(med(ts, "claimed")), f(med(ts, "spawned")), f(med(ts, "running")),
  ];
  table(
    ["path", "first step median", "min", "max", "claimed", "trainer spawned", "running (hello)"],
    [row("warm worker (queue bench)", s.worker), row("server's own trainer (queue null)", s.local), row("cold worker, first run (once)", [s.coldWorker.timing])],
  );
  const w = med(s.worker, "firstStep")!;
  const l = med(s.local, "firstStep")!;
  console.log(`warm worker / local: ${(w / l).toFixed(2)}× (+${(w - l).toFixed(2)} s)`);
  console.log(`per run, worker claimed at: ${s.worker.map((t) => f(t.claimed)).join(", ")} s; first step at: ${s.worker.map((t) => f(t.firstStep)).join(", ")} s; local first step at: ${s.local.map((t) => f(t.firstStep)).join(", ")} s`);
  const c = s.coldWorker;
  console.log(`cold worker: registered and idle ${c.registerS.toFixed(1)} s after its process started; its first run's dataset fetch took ${f(c.timing.fetchedS)} s; first step ${f(c.timing.firstStep)} s after run.create`);
}
