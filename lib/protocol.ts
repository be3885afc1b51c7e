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
});
export type MetricBatch = z.infer<typeof MetricBatch>;

/** Trainer → server, once connected: what it runs on and where it starts. */
export const TrainerHello = z.object({
  backend: z.string().min(1).max(32),
  paramCount: z.number().int().min(0),
  startStep: z.number().int().min(0),
  warning: z.string().max(500).optional(),
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

export const Heartbeat = z.object({ step: z.number().int().min(0) });

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

export const RUN_STATUSES = ["queued", "running", "stopping", "stopped", "completed", "failed", "crashed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const ACTIVE_STATUSES: readonly RunStatus[] = ["queued", "running", "stopping"];

/** Browser ⇄ server on the default namespace. */
export const RunRoom = z.string().min(1).max(64);
export const roomOf = (runId: string) => `run:${runId}`;
export const RUNS_ROOM = "runs";
export const DATASETS_ROOM = "datasets";

/** The events, named noun:verb. */
export const EV = {
  metricBatch: "metric:batch",
  trainerHello: "trainer:hello",
  trainerHeartbeat: "trainer:heartbeat",
  trainerDone: "trainer:done",
  trainerLog: "trainer:log",
  evalPredictions: "eval:predictions",
  runLog: "run:log",
  checkpointSaved: "checkpoint:saved",
  checkpointNew: "checkpoint:new",
  runStop: "run:stop",
  runStatus: "run:status",
  runSubscribe: "run:subscribe",
  runUnsubscribe: "run:unsubscribe",
  runsSubscribe: "runs:subscribe",
  datasetsSubscribe: "datasets:subscribe",
  datasetStatus: "dataset:status",
  datasetProgress: "dataset:progress",
} as const;
