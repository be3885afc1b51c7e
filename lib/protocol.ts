import { z } from "zod";

/** One scalar sample of a run, as the trainer measures it. */
export const MetricPoint = z.object({
  step: z.number().int().min(0),
  key: z.string().min(1).max(64).regex(/^[a-z0-9_/.]+$/, "lowercase metric key"),
  // NaN and Infinity are real observations; JSON cannot carry them, so they travel as null.
  value: z.number().nullable(),
  wallTime: z.number().positive(),
});
export type MetricPoint = z.infer<typeof MetricPoint>;

/** Trainer → server: a batch of points with a sequence number, acked once durable. */
export const MetricBatch = z.object({
  seq: z.number().int().min(0),
  points: z.array(MetricPoint).min(1).max(10_000),
  /** A previous launch's batch that its trainer journaled and never had acked, sent again by the next one. */
  replay: z.literal(true).optional(),
});
export type MetricBatch = z.infer<typeof MetricBatch>;

/** Trainer → server, once connected: what it runs on and where it starts. */
export const TrainerHello = z.object({
  backend: z.string().min(1).max(32),
  paramCount: z.number().int().min(0),
  startStep: z.number().int().min(0),
  warning: z.string().max(500).optional(),
  /** Threads computing gradients (trainer/loop/parallel); 1 or absent = the trainer's own thread. */
  workers: z.number().int().min(1).max(64).optional(),
});
export type TrainerHello = z.infer<typeof TrainerHello>;

/** Trainer → server: a checkpoint written, renamed into place and hashed. */
export const CheckpointSaved = z.object({
  step: z.number().int().min(0),
  path: z.string().min(1).max(4096),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type CheckpointSaved = z.infer<typeof CheckpointSaved>;

/** Server → trainer: a checkpoint the server recorded, so the trainer checks a file against the database's sha256 before loading it. */
export const RecordedCheckpoint = z.object({
  step: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type RecordedCheckpoint = z.infer<typeof RecordedCheckpoint>;

/** Trainer → server: what to ask for the run's recorded checkpoints (nothing; the socket names the run). */
export const CheckpointListRequest = z.object({}).strict();

/** Trainer → server: a checkpoint whose file did not verify, and the one loaded instead (null: none). */
export const CheckpointCorrupt = z.object({
  step: z.number().int().min(0),
  path: z.string().min(1).max(4096),
  reason: z.string().min(1).max(2000),
  fallbackStep: z.number().int().min(0).nullable(),
});
export type CheckpointCorrupt = z.infer<typeof CheckpointCorrupt>;

/** The start of a run's error when no checkpoint verified; the run page then offers a restart from scratch. */
export const NO_VERIFIED_CHECKPOINT = "No checkpoint verifies";

/** What the trainer is doing, so a long evaluation or checkpoint is not taken for a stall. */
export const TRAINER_PHASES = ["setup", "train", "eval", "checkpoint"] as const;

/** Trainer → server every few seconds: liveness, progress, and memory against its limit. */
export const Heartbeat = z.object({
  step: z.number().int().min(0),
  phase: z.enum(TRAINER_PHASES).default("train"),
  rssBytes: z.number().min(0).optional(),
  memoryLimitBytes: z.number().positive().optional(),
});
export type Heartbeat = z.infer<typeof Heartbeat>;

/** Trainer → server: what a recovery policy did. */
export const RecoveryEvent = z.object({
  type: z.enum(["skip_step", "rollback", "recovery_exhausted"]),
  /** The step whose update was skipped or that triggered the rollback. */
  step: z.number().int().min(0),
  /** Rollback: the checkpoint step training went back to; later steps' metrics are superseded. */
  toStep: z.number().int().min(0).optional(),
  /** Rollback: which attempt this is (1-based). */
  attempt: z.number().int().min(1).optional(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  message: z.string().min(1).max(2000),
});
export type RecoveryEvent = z.infer<typeof RecoveryEvent>;

/** Trainer → server: a human progress line (dataset preparation, resume, checkpoints). */
export const TrainerLog = z.object({ message: z.string().min(1).max(2000) });

/** Trainer → server: the way the trainer is about to exit. */
export const TrainerDone = z.object({
  status: z.enum(["completed", "stopped", "failed"]),
  step: z.number().int().min(0),
  error: z.string().max(4000).optional(),
});
export type TrainerDone = z.infer<typeof TrainerDone>;

/** Credentials on the /trainer namespace handshake. */
export const TrainerAuth = z.object({ runId: z.string().min(1).max(64), token: z.string().min(16).max(128) });

/**
 * Server → trainer, as the `data` of a refused handshake (scale-out): the token is good, but this
 * instance does not own the run; try `owner` (when known) or another address.
 */
export const TrainerRedirect = z.object({ retry: z.literal(true), owner: z.url({ protocol: /^https?$/ }).nullable().catch(null) });
export type TrainerRedirect = z.infer<typeof TrainerRedirect>;

export const RUN_STATUSES = ["queued", "running", "stopping", "stopped", "completed", "failed", "crashed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const ACTIVE_STATUSES: readonly RunStatus[] = ["queued", "running", "stopping"];

/** Browser ⇄ server on the default namespace. */
export const RunRoom = z.string().min(1).max(64);
export const roomOf = (runId: string) => `run:${runId}`;
export const RUNS_ROOM = "runs";
export const DATASETS_ROOM = "datasets";
/** Every page's header listens here for new alerts. */
export const ALERTS_ROOM = "alerts";

/** The events, named noun:verb. */
export const EV = {
  metricBatch: "metric:batch",
  trainerHello: "trainer:hello",
  trainerHeartbeat: "trainer:heartbeat",
  trainerDone: "trainer:done",
  trainerLog: "trainer:log",
  trainerRecovery: "trainer:recovery",
  evalPredictions: "eval:predictions",
  runLog: "run:log",
  checkpointSaved: "checkpoint:saved",
  checkpointNew: "checkpoint:new",
  /** Trainer asks for the run's recorded checkpoints (step, sha256) before it loads one. */
  checkpointList: "checkpoint:list",
  checkpointCorrupt: "checkpoint:corrupt",
  runStop: "run:stop",
  runStatus: "run:status",
  /** A run was deleted: lists drop it. */
  runDeleted: "run:deleted",
  runSubscribe: "run:subscribe",
  runUnsubscribe: "run:unsubscribe",
  runsSubscribe: "runs:subscribe",
  datasetsSubscribe: "datasets:subscribe",
  datasetStatus: "dataset:status",
  datasetProgress: "dataset:progress",
  alertsSubscribe: "alerts:subscribe",
  alertNew: "alert:new",
  /** Alerts were acknowledged or muted: clients refetch their counts. */
  alertsChanged: "alerts:changed",
  /** A rollback superseded a run's metrics after toStep: charts drop and refetch them. */
  runRollback: "run:rollback",
  webhookDelivery: "webhook:delivery",
} as const;
