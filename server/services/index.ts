import type { Server } from "socket.io";
import type { Db } from "../db/db";
import type { Env } from "../env";
import { AlertService } from "./alerts/alerts";
import { WebhookService } from "./alerts/webhooks";
import { BackendService } from "./cli/backends";
import { CliJobs } from "./cli/cli-jobs";
import { ExportService } from "./cli/export";
import { GenerateService } from "./cli/generate";
import { Cluster } from "./cluster/cluster";
import { Instances, newInstanceId } from "./cluster/instances";
import { DatasetService } from "./datasets/datasets";
import { EvalService } from "./evals/evals";
import { Hub } from "./hub/hub";
import { MetricReader } from "./metrics/metric-reader";
import { MetricWriter } from "./metrics/metrics";
import { ExperimentService } from "./outside/experiments";
import { MlflowRuns } from "./outside/mlflow-runs";
import { OutsideRuns } from "./outside/outside-runs";
import { ForensicsService } from "./runs/forensics";
import { Leases, SoloOwnership } from "./runs/leases";
import { RunAdmin } from "./runs/run-admin";
import { RunChecks } from "./runs/run-checks";
import { RunService } from "./runs/runs";
import { SweepService } from "./runs/sweeps";
import { ServerStats } from "./stats/server-stats";
import { RemoteRuns } from "./supervisor/remote-runs";
import { Supervisor } from "./supervisor/supervisor";
import { TrainerChannel } from "./supervisor/trainer-channel";
import { Watch } from "./supervisor/watch";
import { recentHistory } from "./supervisor/watch-history";
import { TensorboardService } from "./tensorboard/tensorboard";
import { WorkerService } from "./workers/workers";

export type Services = ReturnType<typeof createServices>;

export function createServices(db: Db, env: Env, io: Server | null, serverUrl: () => string) {
  const hub = new Hub(io);
  // REDIS_URL makes this one instance of several sharing the database: runs are owned by leases.
  const instanceId = env.INSTANCE_ID ?? newInstanceId();
  const leases = env.REDIS_URL ? new Leases(db, instanceId, env.LEASE_TTL_MS) : null;
  const ownership = leases ?? new SoloOwnership(instanceId);
  const runs = new RunService(db, hub, env.dataDir);
  runs.ownership = ownership;
  const writer = new MetricWriter(env.databaseUrl, (ids) => runs.refreshSummaries(ids)).start();
  const alerts = new AlertService(db, hub, ownership);
  const webhooks = new WebhookService(
    db,
    { publicUrl: () => env.PUBLIC_URL ?? serverUrl(), allowPrivate: env.WEBHOOK_ALLOW_PRIVATE === "1", instanceId },
    (d) => hub.webhookDelivery(d),
  );
  alerts.sink = webhooks;
  const watch = new Watch(alerts, (runId, beforeStep, perKey) => recentHistory(db, runId, beforeStep, perKey));
  const channel = new TrainerChannel(db, alerts, (id) => runs.runDir(id));
  runs.tokenRevoked = (id) => {
    channel.revoke(id);
    writer.forget(id);
  };
  runs.supersedeAfter = async (id, afterStep) => {
    const last = await db.supersededMetric.aggregate({ where: { runId: id }, _max: { attempt: true } });
    await writer.supersede(id, afterStep, (last._max.attempt ?? 0) + 1);
  };
  let cluster: Cluster | null = null;
  const supervisor = new Supervisor(runs, serverUrl, env.STOP_TIMEOUT_S * 1000, watch, env.MAX_TRAINERS, () => cluster?.fallbackUrls() ?? env.SERVER_URLS);
  supervisor.remote = new RemoteRuns(db, runs, watch);
  supervisor.workerLeaseTtlMs = env.WORKER_LEASE_TTL_MS;
  runs.launcher = supervisor;
  runs.onCrash = (run, exit) => watch.crashed(run, exit);
  runs.onLifecycle = (id, e) => void alerts.raise(id, { ...e, severity: "info", value: null, threshold: null }).catch((err) => console.error(`run ${id}: storing its ${e.type} marker failed:`, err));
  const workers = new WorkerService(db, {
    dataDir: env.dataDir, leaseTtlMs: env.WORKER_LEASE_TTL_MS, runDir: (id) => runs.runDir(id), onProgress: (id, line) => hub.runLog(id, line),
    // The worker dials the address it reached us at first; these are where else a trainer may go.
    serverUrls: () => [...new Set([...(env.PUBLIC_URL ? [env.PUBLIC_URL] : []), ...(cluster?.fallbackUrls() ?? env.SERVER_URLS)])],
  });
  const datasets = new DatasetService(db, hub, env.dataDir, env.allowedRoots);
  const evals = new EvalService(db, env.dataDir, env.allowedRoots);
  const cliJobs = new CliJobs();
  const exporter = new ExportService(db, cliJobs, env.dataDir);
  const generator = new GenerateService(db, cliJobs, env.dataDir);
  const backends = new BackendService(cliJobs);
  const forensics = new ForensicsService(db, cliJobs, runs);
  const runChecks = new RunChecks(db, backends);
  const faultInjection = env.ENABLE_FAULT_INJECTION;
  const stats = new ServerStats(writer.stats);
  const metricReader = new MetricReader(env.databaseUrl).start();
  const outsideRuns = new OutsideRuns(db, hub, writer, watch, runs, ownership);
  runs.outsideStopped = (id) => outsideRuns.setStatus(id, "stopped");
  const tensorboard = new TensorboardService(db, outsideRuns, env.allowedRoots, env.dataDir);
  const runAdmin = new RunAdmin(db, hub, runs);
  const sweeps = new SweepService(db, runs, runChecks, runAdmin, evals, backends);
  runAdmin.forget = (id) => {
    writer.forget(id);
    watch.ended(id);
  };
  const experiments = new ExperimentService(db);
  const mlflowRuns = new MlflowRuns(db, outsideRuns, experiments);
  const artifactMaxBytes = env.ARTIFACT_MAX_MB * 1e6;
  if (leases)
    cluster = new Cluster(leases, new Instances(db, instanceId, env.LEASE_TTL_MS), runs, supervisor, channel, webhooks, {
      renewMs: env.LEASE_RENEW_MS, ttlMs: env.LEASE_TTL_MS, serverUrls: env.SERVER_URLS,
    });
  return { db, hub, runs, writer, metricReader, stats, supervisor, alerts, watch, channel, webhooks, datasets, evals, cliJobs, exporter, generator, backends, forensics, runChecks, faultInjection, cluster, workers, outsideRuns, experiments, mlflowRuns, artifactMaxBytes, runAdmin, tensorboard, sweeps };
}
