import type { Server } from "socket.io";
import type { Db } from "../db";
import type { Env } from "../env";
import { CliJobs } from "./cli-jobs";
import { DatasetService } from "./datasets";
import { EvalService } from "./evals";
import { ExportService } from "./export";
import { GenerateService } from "./generate";
import { Hub } from "./hub";
import { MetricWriter } from "./metrics";
import { RunService } from "./runs";
import { Supervisor } from "./supervisor";

export type Services = ReturnType<typeof createServices>;

export function createServices(db: Db, env: Env, io: Server | null, serverUrl: () => string) {
  const hub = new Hub(io);
  const runs = new RunService(db, hub, env.dataDir);
  const writer = new MetricWriter(db, (ids) => runs.refreshSummaries(ids));
  const supervisor = new Supervisor(runs, serverUrl, env.STOP_TIMEOUT_S * 1000);
  runs.launcher = supervisor;
  const datasets = new DatasetService(db, hub, env.dataDir);
  const evals = new EvalService(db, env.dataDir);
  const cliJobs = new CliJobs();
  const exporter = new ExportService(db, cliJobs, env.dataDir);
  const generator = new GenerateService(db, cliJobs, env.dataDir);
  return { db, hub, runs, writer, supervisor, datasets, evals, cliJobs, exporter, generator };
}
