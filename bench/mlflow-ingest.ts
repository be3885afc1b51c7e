// `npm run bench:mlflow`: metric points per second stored by the real server from N concurrent
// MLflow clients (runs/log-batch over HTTP), beside N simulated trainers on the socket path
// (bench/ingest-trainers.ts), one after the other on the same server and database in the same
// invocation. Printed, not asserted (docs/mlflow-api.md).
// Flags: --db sqlite|postgresql --clients N --seconds S --batch P --keys K --in-flight W --warmup S
import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { buildUiIfStale } from "../scripts/start";
import { startServer, tempDataDir, type TestServer } from "../tests/helpers/server";
import { parseFlags } from "../trainer/cli/flags";
import { createLiveRuns, createPgDatabase, type Engine } from "./ingest-db";
import type { TrainerPlan, TrainerReport } from "./ingest-trainers";

const int = (name: string, min: number, max: number) =>
  z.coerce.number({ error: `--${name} must be a number` }).int(`--${name} must be a whole number`).min(min, `--${name} must be at least ${min}`).max(max, `--${name} must be at most ${max}`);
const Flags = z.object({
  db: z.enum(["sqlite", "postgresql"], { error: "--db must be sqlite or postgresql" }).default("sqlite"),
  clients: int("clients", 1, 128).default(8),
  seconds: int("seconds", 3, 600).default(15),
  batch: int("batch", 1, 1000).default(1000),
  keys: int("keys", 1, 10).default(6),
  "in-flight": int("in-flight", 1, 16).default(2),
  warmup: int("warmup", 0, 120).default(3),
});
const flags = parseFlags(Object.fromEntries(Object.keys(Flags.shape).map((k) => [k, { type: "string" as const }])), Flags);

type Window = Extract<TrainerReport, { type: "window-end" }>;

/** Runs one child (socket trainers or MLflow clients) through ready → go → window → done. */
async function phase(script: string, plan: object): Promise<Window> {
  const child = fork(path.join(import.meta.dirname, script), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const reports: TrainerReport[] = [];
  let wake: (() => void) | null = null;
  child.on("message", (m: TrainerReport) => (reports.push(m), wake?.()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => (resolve(), wake?.())));
  const next = async (type: TrainerReport["type"]) => {
    for (;;) {
      const found = reports.find((r) => r.type === type);
      if (found) return found;
      if (child.exitCode !== null) throw new Error(`${script} exited before "${type}"`);
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  child.send(plan);
  await next("ready");
  child.send("go");
  const end = (await next("window-end")) as Window;
  await next("done");
  await exited;
  return end;
}

async function main(engine: Engine) {
  const dataDir = tempDataDir("bench-mlflow");
  const pgDb = engine === "postgresql" ? await createPgDatabase("mlflow_bench") : null;
  let server: TestServer | null = null;
  try {
    server = await startServer(dataDir, pgDb ? { DATABASE_URL: pgDb.url } : {});
    const common = { url: server.url, batch: flags.batch, keys: flags.keys, inFlight: flags["in-flight"], warmupS: flags.warmup, seconds: flags.seconds };
    const runs = await createLiveRuns(engine, pgDb ? pgDb.url : dataDir, flags.clients);
    const socket = await phase("ingest-trainers.ts", { ...common, runs } satisfies TrainerPlan);
    const runIds: string[] = [];
    for (let i = 0; i < flags.clients; i++) {
      const res = await fetch(`${server.url}/api/2.0/mlflow/runs/create`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ experiment_id: "0", run_name: `bench-${i}` }) });
      runIds.push(((await res.json()) as { run: { info: { run_id: string } } }).run.info.run_id);
    }
    const mlflow = await phase("mlflow-clients.ts", { ...common, runs: [], runIds, headers: {} });
    return { socket, mlflow };
  } finally {
    await server?.stop();
    await pgDb?.drop().catch((e: Error) => console.error(`dropping the bench database failed: ${e.message}`));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; ${flags.db}`);
console.log(`${flags.clients} clients × ${flags["in-flight"]} requests in flight × ${flags.batch} points (${flags.keys} keys a step); ${flags.warmup} s warm-up, ${flags.seconds} s measured per path`);
buildUiIfStale();
const { socket, mlflow } = await main(flags.db);
const perS = (w: Window) => w.ackedPoints / flags.seconds;
const row = (name: string, w: Window) => `| ${name} | ${Math.round(perS(w)).toLocaleString()} | ${w.ackedBatches} | ${w.ackMs.p50} / ${w.ackMs.p99} | ${w.refused} |`;
console.log(`\n| path | points/s stored | batches | ack p50 / p99 ms | refused |\n| --- | --- | --- | --- | --- |`);
console.log(row(`socket.io trainers (${flags.clients})`, socket));
console.log(row(`MLflow log-batch clients (${flags.clients})`, mlflow));
console.log(`\nMLflow / socket: ${(perS(mlflow) / perS(socket)).toFixed(2)}×`);
for (const [name, w] of [["socket", socket], ["mlflow", mlflow]] as const) if (w.errors.length) console.log(`${name} errors: ${w.errors.join("; ")}`);
