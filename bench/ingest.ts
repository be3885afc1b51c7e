// `npm run bench:ingest`: metric points per second acked by the real server over real sockets,
// from N simulated trainers, next to the raw insert ceiling of the same database measured in the
// same run; with the API's latency (run.list, metric.range over tRPC) and the server's event-loop
// lag sampled during the burst. Printed, not asserted (docs/ingest.md).
// Flags: --db sqlite|postgresql|both --trainers N --seconds S --batch P --keys K --in-flight W
//        --warmup S --ceiling-seconds S --out <file> --real-trainer
import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHistogram } from "node:perf_hooks";
import { createTRPCClient, httpLink } from "@trpc/client";
import { z } from "zod";
import { EV, roomOf } from "../lib/protocol";
import { buildUiIfStale } from "../scripts/start";
import type { AppRouter } from "../server/trpc/router";
import { browserSocket, startServer, tempDataDir, type TestServer } from "../tests/helpers/server";
import { parseFlags } from "../trainer/cli/flags";
import { createLiveRuns, createPgDatabase, type Engine, pgCeiling, pgHasSchema, sqliteCeiling } from "./ingest-db";
import { type RealTrainerReport, realTrainerReport, startRealTrainer } from "./ingest-real-trainer";
import type { TrainerPlan, TrainerReport } from "./ingest-trainers";

const int = (name: string, min: number, max: number) =>
  z.coerce.number({ error: `--${name} must be a number` }).int(`--${name} must be a whole number`).min(min, `--${name} must be at least ${min}`).max(max, `--${name} must be at most ${max}`);
const Flags = z.object({
  db: z.enum(["sqlite", "postgresql", "both"], { error: "--db must be sqlite, postgresql or both" }).default("sqlite"),
  trainers: int("trainers", 1, 256).default(8),
  seconds: int("seconds", 3, 600).default(15),
  batch: int("batch", 1, 10_000).default(1200),
  keys: int("keys", 1, 10).default(6),
  "in-flight": int("in-flight", 1, 256).default(8),
  warmup: int("warmup", 0, 120).default(3),
  "ceiling-seconds": int("ceiling-seconds", 1, 60).default(4),
  out: z.string().min(1).default("bench-results/ingest.json"),
  /** One real run trains through the burst (bench/ingest-real-trainer.ts). */
  "real-trainer": z.boolean().default(false),
});
const flags = parseFlags(
  Object.fromEntries(Object.keys(Flags.shape).map((k) => [k, { type: k === "real-trainer" ? ("boolean" as const) : ("string" as const) }])),
  Flags,
);

interface Probe {
  p50: number;
  p99: number;
  max: number;
  n: number;
}
interface Result {
  engine: Engine;
  ackedPerS: number;
  ceilingPerS: number;
  ratio: number;
  runList: Probe;
  metricRange: Probe;
  loopLag: { p50: number; p99: number; max: number; samples: number };
  ack: { p50: number; p99: number; max: number };
  timeouts: number;
  refused: number;
  errors: string[];
  browserPoints: number;
  realTrainer?: RealTrainerReport;
  server: unknown;
  note?: string;
}

const engines: Engine[] = flags.db === "both" ? ["sqlite", "postgresql"] : [flags.db];
console.log(`${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
console.log(`${flags.trainers} trainers × ${flags["in-flight"]} batches in flight × ${flags.batch} points (${flags.keys} keys a step); ${flags.warmup} s warm-up, ${flags.seconds} s measured`);
buildUiIfStale();

const results: Result[] = [];
for (const engine of engines) {
  const r = await measure(engine).catch((e: Error) => {
    console.error(`${engine}: ${e.message}`);
    return null;
  });
  if (r) results.push(r);
}
printTable(results);
fs.mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
fs.writeFileSync(flags.out, JSON.stringify({ flags, at: new Date().toISOString(), results }, null, 2));
console.log(`\nwrote ${flags.out}`);

async function measure(engine: Engine): Promise<Result> {
  const dataDir = tempDataDir(`bench-ingest-${engine}`);
  const pgDb = engine === "postgresql" ? await createPgDatabase("writer_bench") : null;
  let server: TestServer | null = null;
  try {
    // BENCH_SERVER_NODE_OPTIONS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server.
    const extraEnv: Record<string, string> = {};
    if (process.env.BENCH_SERVER_NODE_OPTIONS) extraEnv.NODE_OPTIONS = process.env.BENCH_SERVER_NODE_OPTIONS;
    if (pgDb) extraEnv.DATABASE_URL = pgDb.url;
    server = await startServer(dataDir, extraEnv);
    if (pgDb && !(await pgHasSchema(pgDb.url)))
      throw new Error("the server did not migrate the PostgreSQL database named by DATABASE_URL: this build has no PostgreSQL support yet");
    const runs = await createLiveRuns(engine, pgDb ? pgDb.url : dataDir, flags.trainers);
    console.log(`\n${engine}: server at ${server.url}, ${runs.length} live runs`);

    const browser = await browserSocket(server.url);
    let browserPoints = 0;
    browser.on(EV.metricBatch, (m: { points: unknown[] }) => (browserPoints += m.points.length));
    browser.emit(EV.runSubscribe, runs[0].runId);

    const child = fork(path.join(import.meta.dirname, "ingest-trainers.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    // With a real trainer, the simulated ones stand for other machines: niced, they do not take its CPU.
    if (flags["real-trainer"] && child.pid) os.setPriority(child.pid, 10);
    const plan: TrainerPlan = { url: server.url, runs, batch: flags.batch, keys: flags.keys, inFlight: flags["in-flight"], warmupS: flags.warmup, seconds: flags.seconds };
    const reports: TrainerReport[] = [];
    let wake: (() => void) | null = null;
    child.on("message", (m: TrainerReport) => {
      reports.push(m);
      wake?.();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const next = async <T extends TrainerReport["type"]>(type: T): Promise<Extract<TrainerReport, { type: T }>> => {
      for (;;) {
        const found = reports.find((r) => r.type === type);
        if (found) return found as Extract<TrainerReport, { type: T }>;
        const gone = await Promise.race([new Promise<false>((resolve) => (wake = () => resolve(false))), exited.then(() => true)]);
        if (gone && !reports.some((r) => r.type === type)) throw new Error(`the simulated trainers exited before "${type}"`);
      }
    };
    child.send(plan);
    // The simulated trainers connect and say hello first: their start-up is not part of the burst.
    await next("ready");
    let real: { runId: string; before: [number, number] } | null = null;
    if (flags["real-trainer"]) {
      const runId = await startRealTrainer(server);
      const from = Date.now() / 1000;
      console.log(`${engine}: a real trainer (run ${runId}) trains alone for ${flags.seconds} s, then through the burst`);
      await new Promise((r) => setTimeout(r, flags.seconds * 1000));
      real = { runId, before: [from, Date.now() / 1000] };
    }
    child.send("go");
    await next("window-start");
    const windowFrom = Date.now() / 1000;
    const api = server.api;
    // One client per probe, unbatched: a batching link would answer run.list with metric.range.
    const listApi = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${server.url}/api/trpc` })] });
    const rangeApi = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${server.url}/api/trpc` })] });
    const list = probe(() => listApi.run.list.query());
    const range = probe(() => rangeApi.metric.range.query({ runId: runs[0].runId, keys: ["loss", "grad_norm"], buckets: 1000 }));
    const end = await next("window-end");
    const [runList, metricRange] = await Promise.all([list.stop(), range.stop()]);
    const stats = await api.server.stats.query({ windowSeconds: flags.seconds });
    const realTrainer = real ? await realTrainerReport(server, real.runId, real.before, [windowFrom, Date.now() / 1000]) : undefined;
    const done = await next("done");
    await exited;
    browser.close();
    const ackedPerS = end.ackedPoints / flags.seconds;
    console.log(`${engine}: ${Math.round(ackedPerS).toLocaleString()} points/s acked; ${done.unacked} batches left unacked at the end`);
    await server.stop();
    server = null;

    const runIds = runs.map((r) => r.runId);
    const ceilingPerS = pgDb ? await pgCeiling(pgDb.url, runIds, flags["ceiling-seconds"]) : sqliteCeiling(dataDir, runIds, flags["ceiling-seconds"]);
    return {
      engine, ackedPerS, ceilingPerS, ratio: ackedPerS / ceilingPerS, runList, metricRange, loopLag: stats.eventLoopLagMs, ack: end.ackMs,
      timeouts: end.timeouts, refused: end.refused, errors: end.errors, browserPoints, realTrainer, server: stats,
    };
  } finally {
    await server?.stop();
    await pgDb?.drop().catch((e: Error) => console.error(`dropping the bench database failed: ${e.message}`));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Calls `f` back to back (with a 50 ms pause, as a page polling would) until stopped; latency percentiles in ms. */
function probe(f: () => Promise<unknown>) {
  const us = createHistogram();
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      await f();
      us.record(Math.max(1, Math.round((performance.now() - t) * 1000)));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop(): Promise<Probe> {
      running = false;
      await loop;
      const ms = (x: number) => Math.round(x) / 1000;
      return { p50: ms(us.percentile(50)), p99: ms(us.percentile(99)), max: ms(us.max), n: us.count };
    },
  };
}

function printTable(rs: Result[]) {
  if (rs.length === 0) return console.log("\nno results");
  const k = (n: number) => `${Math.round(n).toLocaleString()}`;
  const head = ["db", "acked pts/s", "ceiling rows/s", "acked/ceiling", "run.list p50/p99 ms", "metric.range p50/p99 ms", "loop lag p50/p99 ms", "ack p50/p99 ms", "timeouts", "refused"];
  const lines = rs.map((r) => [
    r.engine, k(r.ackedPerS), k(r.ceilingPerS), `${(100 * r.ratio).toFixed(1)}%`, `${r.runList.p50} / ${r.runList.p99}`, `${r.metricRange.p50} / ${r.metricRange.p99}`,
    `${r.loopLag.p50} / ${r.loopLag.p99}`, `${r.ack.p50} / ${r.ack.p99}`, String(r.timeouts), String(r.refused),
  ]);
  console.log(`\n| ${head.join(" | ")} |\n| ${head.map(() => "---").join(" | ")} |`);
  for (const l of lines) console.log(`| ${l.join(" | ")} |`);
  for (const r of rs) if (r.errors.length) console.log(`${r.engine} errors: ${r.errors.join("; ")}`);
  for (const r of rs) console.log(`${r.engine}: the browser subscribed to one run received ${r.browserPoints.toLocaleString()} points`);
  for (const { engine, realTrainer: t } of rs)
    if (t)
      console.log(`${engine}: the real trainer ran at ${Math.round(t.tokensPerSecBefore)} tokens/s alone and ${Math.round(t.tokensPerSecDuring)} during the burst `
        + `(${(100 * t.share).toFixed(0)}%, lowest ${Math.round(t.lowestDuring)}); throughput_drop alerts during the burst: ${t.throughputDropAlerts} (alone, over as long: ${t.throughputDropAlertsAlone}), stall alerts: ${t.stallAlerts}`
        + `${t.lowAt.length ? `; readings under half, at s ${t.lowAt.slice(0, 30).join(" ")}` : ""}${t.alerts.map((a) => `\n  ${a}`).join("")}`
        + `\n  tokens/s by second of the window (median, readings): ${t.perSecond.map((p) => `${p.s}:${p.median}/${p.n}`).join(" ")}`);
}
