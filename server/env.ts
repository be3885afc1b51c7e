import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { LoginName, passwordProblem } from "../lib/auth";
import { providerOf, type Provider } from "./db/db-provider";
import { clusterEnv, clusterEnvProblems } from "./env-cluster";

const Env = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int("PORT must be a whole number").min(0).max(65535).default(3000),
  DATA_DIR: z.string().min(1).default("./data"),
  /** The database: unset for the SQLite file DATA_DIR/app.db; file:<path> for another SQLite file; postgresql://… (or postgres://…) for PostgreSQL. */
  DATABASE_URL: z.preprocess(
    (v) => (v === "" ? undefined : v),
    // The message never repeats the value, which may hold a password.
    z.string().refine((u) => providerOf(u) !== null, "DATABASE_URL must start with file: (SQLite), postgresql:// or postgres:// (PostgreSQL)").optional(),
  ),
  /** Connections each server keeps to PostgreSQL; instances × this must stay under the server's max_connections (100 by default). */
  DATABASE_POOL_SIZE: z.coerce.number().int("DATABASE_POOL_SIZE must be a whole number").min(1).max(1000).default(10),
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  /** Seconds a stopping trainer gets to checkpoint before it is killed. */
  STOP_TIMEOUT_S: z.coerce.number().positive().default(60),
  /** Directories, besides DATA_DIR, whose files a request may name (dataset folders, eval sets); separated by ":". */
  IMPORT_ROOTS: z.string().default(""),
  /** "1" lets webhooks reach loopback and private networks (a receiver on this machine or the LAN). */
  WEBHOOK_ALLOW_PRIVATE: z.enum(["0", "1"], { error: "WEBHOOK_ALLOW_PRIVATE must be 0 or 1" }).default("0"),
  /** The address people use, e.g. https://dash.example.com: its host is served, and https makes cookies Secure. */
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: "PUBLIC_URL must be an http:// or https:// URL" }).optional(),
  /** More Host names to serve, comma-separated (loopback names always are). */
  ALLOWED_HOSTS: z.string().default("").transform((s) => s.split(",").map((h) => h.trim().toLowerCase()).filter(Boolean)),
  /** The first admin, created at start while no user exists; the password must pass the policy. */
  ADMIN_USER: LoginName.optional(),
  ADMIN_PASSWORD: z.string().optional(),
  /** "1": with no user, start anyway and open the one-time /setup page (its token is printed in the log). */
  AUTH_SETUP: z.enum(["0", "1", "true", "false"]).default("0").transform((v) => v === "1" || v === "true"),
  /** Hours a sign-in lasts without use; each use slides it. */
  SESSION_TTL_HOURS: z.coerce.number().positive().max(24 * 365).default(24 * 7),
  /** Trainers running at once; more runs wait queued. By default one per core, as memory allows. */
  MAX_TRAINERS: z.coerce.number().int("MAX_TRAINERS must be a whole number").min(1).max(1024).default(defaultMaxTrainers()),
  /** Largest upload (eval-set file, dataset folder file) in MB; bodies are streamed to disk and stopped there with a 413. */
  UPLOAD_MAX_MB: z.coerce.number().positive("UPLOAD_MAX_MB must be a positive number of megabytes").default(200),
  // The largest single artifact an MLflow client may upload (checkpoints are big); in megabytes.
  ARTIFACT_MAX_MB: z.coerce.number().positive("ARTIFACT_MAX_MB must be a positive number of megabytes").default(20_000),
  /** 1 lets a run config carry `faults` (test-only fault injection, lib/faults.ts); off by default, so the API cannot crash or stall trainers on purpose. */
  ENABLE_FAULT_INJECTION: z
    .enum(["", "0", "1"], { error: "ENABLE_FAULT_INJECTION must be 1 (on) or 0 (off)" })
    .default("0")
    .transform((v) => v === "1"),
  /** How long a remote worker's hold on a run outlives its last heartbeat; then the run is lost there and goes back to its queue under the restart policy. */
  WORKER_LEASE_TTL_MS: z.coerce.number().int("WORKER_LEASE_TTL_MS must be a whole number of milliseconds").min(1000).max(3_600_000).default(30_000),
  ...clusterEnv,
}).superRefine((e, ctx) => {
  for (const p of clusterEnvProblems(e)) ctx.addIssue({ code: "custom", path: [p.path], message: p.message });
  if (Boolean(e.ADMIN_USER) !== Boolean(e.ADMIN_PASSWORD)) {
    ctx.addIssue({ code: "custom", path: [e.ADMIN_USER ? "ADMIN_PASSWORD" : "ADMIN_USER"], message: "set ADMIN_USER and ADMIN_PASSWORD together" });
  } else if (e.ADMIN_USER && e.ADMIN_PASSWORD) {
    const problem = passwordProblem(e.ADMIN_PASSWORD, e.ADMIN_USER);
    if (problem) ctx.addIssue({ code: "custom", path: ["ADMIN_PASSWORD"], message: problem });
  }
});
export type Env = z.infer<typeof Env> & { dataDir: string; databaseUrl: string; dbProvider: Provider; allowedRoots: string[] };

/** A trainer keeps a core busy and, at the sizes this machine trains, takes up to about 1 GiB. */
function defaultMaxTrainers() {
  return Math.max(1, Math.min(os.availableParallelism(), Math.floor(os.totalmem() / 2 ** 30)));
}

/** Parses the environment once; a bad value stops the server with a message naming the variable. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = Env.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  const dataDir = path.resolve(parsed.data.DATA_DIR);
  const importRoots = parsed.data.IMPORT_ROOTS.split(path.delimiter).filter(Boolean).map((r) => path.resolve(r));
  const databaseUrl = parsed.data.DATABASE_URL ?? `file:${path.join(dataDir, "app.db")}`;
  // DATA_DIR first: relative paths from requests resolve against it.
  return { ...parsed.data, dataDir, databaseUrl, dbProvider: providerOf(databaseUrl)!, allowedRoots: [dataDir, ...importRoots] };
}
