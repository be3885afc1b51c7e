import { z } from "zod";

/** tensorboard.import: a log directory (or one event file) on the server, under an allowed root. */
export const TensorboardImportRequest = z.object({
  path: z.string().trim().min(1, "Give the log directory").max(4096),
  /** Keep tailing the directory: new records, new event files and new run subdirectories. */
  follow: z.boolean().default(false),
});
export type TensorboardImportRequest = z.infer<typeof TensorboardImportRequest>;

/** Upload batches are plain names (server/http/upload.ts puts them under DATA_DIR/uploads/tfevents/<batch>). */
export const UploadBatch = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "an upload batch is a plain name").refine((s) => !s.includes(".."), "an upload batch is a plain name");

export const TensorboardImportUpload = z.object({ batch: UploadBatch, name: z.string().trim().min(1).max(200).optional() });

export const TensorboardStop = z
  .object({ runId: z.string().min(1).max(64).optional(), importId: z.string().min(1).max(64).optional() })
  .refine((x) => Boolean(x.runId) !== Boolean(x.importId), { message: "Give either a runId or an importId", path: ["runId"] });

/** Where one event file was read up to: the persisted part of a follow. */
export const FileCursor = z.object({
  offset: z.number().int().min(0),
  /** The file's tag → plugin names seen so far (writers put them on a tag's first value only). */
  plugins: z.record(z.string(), z.string()).default({}),
});
export type FileCursor = z.infer<typeof FileCursor>;

export const ImportStates = ["importing", "following", "done", "stopped", "failed"] as const;

export const ImportedRun = z.object({
  runId: z.string(),
  name: z.string(),
  dir: z.string(),
  /** Set when one event file was imported rather than its directory: only it is read. */
  file: z.string().optional(),
  /** Still being read: false once its import finished or its follow ended. */
  active: z.boolean(),
  files: z.record(z.string(), FileCursor).default({}),
  points: z.number().int().min(0).default(0),
  tags: z.array(z.string()).default([]),
  bytesRead: z.number().min(0).default(0),
  bytesTotal: z.number().min(0).default(0),
  problems: z.array(z.string()).default([]),
});
export type ImportedRun = z.infer<typeof ImportedRun>;

export const ImportJob = z.object({
  id: z.string(),
  /** The chosen directory (its real path). */
  root: z.string(),
  follow: z.boolean(),
  state: z.enum(ImportStates),
  error: z.string().nullable().default(null),
  createdAt: z.string(),
  runs: z.array(ImportedRun),
});
export type ImportJob = z.infer<typeof ImportJob>;

export const ImportJobs = z.object({ imports: z.array(ImportJob) });
