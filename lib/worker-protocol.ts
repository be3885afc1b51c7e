import { z } from "zod";
import { QUEUE_NAME, RunConfig } from "./run-config";

/**
 * Worker ⇄ server (docs/workers.md). A worker is a program on a GPU machine that pulls queued runs
 * over HTTP with an API key, runs the same trainer the server would, and streams back over the
 * trainer socket as a local trainer does. Everything here crosses the network, so it is checked on
 * both sides.
 */

export const WORKERS_PREFIX = "/api/workers/";

/** How often a worker says it is alive; its hold on each run it trains lasts WORKER_LEASE_TTL_MS past the last one. */
export const WORKER_HEARTBEAT_MS = 2000;

/**
 * The heartbeat interval the server asks for: every 2 s, or a quarter of a short lease, so that a
 * hold survives a few late or lost heartbeats (a loaded machine, a slow database) and lapses only
 * when the worker is really gone.
 */
export function heartbeatFor(leaseTtlMs: number): number {
  return Math.max(250, Math.min(WORKER_HEARTBEAT_MS, Math.floor(leaseTtlMs / 4)));
}

export const GpuInfo = z.object({
  name: z.string().min(1).max(200),
  memoryBytes: z.number().int().min(0).nullable(),
  driver: z.string().max(100).nullable(),
  /** nvidia-smi's index, as CUDA_VISIBLE_DEVICES names it. */
  index: z.number().int().min(0).max(1024),
});
export type GpuInfo = z.infer<typeof GpuInfo>;

/** What a worker says of itself when it registers. */
export const WorkerInfo = z.object({
  name: z.string().trim().min(1).max(100),
  host: z.string().min(1).max(255),
  platform: z.string().max(100),
  cores: z.number().int().min(1).max(100_000),
  memoryBytes: z.number().int().min(0),
  gpus: z.array(GpuInfo).max(64),
  /** Backends a trainer here starts (trainer/cli/backends.ts), in the order `auto` tries them, and the one `auto` takes. */
  backends: z.array(z.string().min(1).max(32)).max(16),
  autoBackend: z.string().min(1).max(64).nullable(),
  queues: z.array(z.string().regex(QUEUE_NAME)).min(1).max(32),
  maxRuns: z.number().int().min(1).max(64),
  /** The worker's program version (package.json), so the page can show a stale worker. */
  version: z.string().max(40),
  /** The worker shares the server's DATA_DIR (shared storage): nothing is downloaded or uploaded. */
  sharedStorage: z.boolean().default(false),
});
export type WorkerInfo = z.infer<typeof WorkerInfo>;

export const Registered = z.object({
  id: z.string(),
  heartbeatMs: z.number().int().positive(),
  leaseTtlMs: z.number().int().positive(),
  /** Where else the worker may reach the server (a cluster's instances); it tries them when its own address fails. */
  servers: z.array(z.string()).default([]),
});
export type Registered = z.infer<typeof Registered>;

export const WORKER_PHASES = ["fetching", "training", "uploading", "stopping"] as const;

/** Worker → server: alive, and what it is doing with each run it holds. */
export const WorkerHeartbeat = z.object({
  runs: z.array(z.object({ runId: z.string().min(1).max(64), phase: z.enum(WORKER_PHASES), detail: z.string().max(300).optional() })).max(64),
});
export type WorkerHeartbeat = z.infer<typeof WorkerHeartbeat>;

/** Server → worker: runs to stop (checkpoint and exit), and runs no longer its own (kill now: another worker has them). */
export const HeartbeatAnswer = z.object({ stop: z.array(z.string()), lost: z.array(z.string()) });
export type HeartbeatAnswer = z.infer<typeof HeartbeatAnswer>;

export const FileEntry = z.object({ name: z.string().min(1).max(200), bytes: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type FileEntry = z.infer<typeof FileEntry>;

/** A launch handed to a worker: the run, its token for the trainer socket, and what it must fetch first. */
export const Assignment = z.object({
  runId: z.string(),
  name: z.string(),
  token: z.string(),
  config: RunConfig,
  /** Where else the trainer may reach the server (a cluster's instances), after the address the worker uses. */
  servers: z.array(z.string()),
  /** The prepared dataset's files, fetched into the worker's cache (null: `default`, prepared by the trainer itself). */
  dataset: z.object({ id: z.string(), files: z.array(FileEntry) }).nullable(),
  /** The newest recorded checkpoint of this run, to resume from (null: it starts at step 0). */
  resume: z.object({ step: z.number().int().min(0), file: FileEntry }).nullable(),
  /** A fork's parent checkpoint. */
  parent: z.object({ runId: z.string(), step: z.number().int().min(0), file: FileEntry }).nullable(),
  /** Registered benchmark files by their place in config.evals (synthetic ones are built from the dataset). */
  evalFiles: z.array(z.object({ index: z.number().int().min(0), file: FileEntry })),
  /** The server's directory for this run: with shared storage the worker trains there itself. */
  serverRunDir: z.string(),
});
export type Assignment = z.infer<typeof Assignment>;

export const ClaimAnswer = z.object({ assignment: Assignment.nullable() });

/** Worker → server: how a launch's trainer process ended. */
export const TrainerExitReport = z.object({
  code: z.number().int().nullable(),
  signal: z.string().max(32).nullable(),
  tail: z.array(z.string().max(2000)).max(50),
  /** Set when the worker never got a trainer going (a fetch failed); the run fails with it. */
  setupError: z.string().max(2000).optional(),
  /** The worker was leaving and its trainer checkpointed for it: the run goes back to its queue as it is. */
  requeue: z.boolean().optional(),
});
export type TrainerExitReport = z.infer<typeof TrainerExitReport>;

/** Server → trainer after a checkpoint upload is committed: where the server keeps it (what checkpoint:saved then names). */
export const UploadCommitted = z.object({ path: z.string(), bytes: z.number().int().min(0), sha256: z.string() });

/** The exit code of a trainer that checkpointed on SIGUSR2 (its worker is leaving) and left the run active for another. */
export const HANDED_BACK = 75;

/** Bytes per checkpoint upload request; a lost one is sent again from the offset the server has. */
export const UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024;
