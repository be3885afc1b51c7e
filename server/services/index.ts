import type { Server } from "socket.io";
import type { Db } from "../db";
import type { Env } from "../env";
import { DatasetService } from "./datasets";
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
  return { db, hub, runs, writer, supervisor, datasets };
}
