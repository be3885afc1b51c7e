import path from "node:path";
import { z } from "zod";

const Env = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int("PORT must be a whole number").min(0).max(65535).default(3000),
  DATA_DIR: z.string().min(1).default("./data"),
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  /** Seconds a stopping trainer gets to checkpoint before it is killed. */
  STOP_TIMEOUT_S: z.coerce.number().positive().default(60),
  /** Directories, besides DATA_DIR, whose files a request may name (dataset folders, eval sets); separated by ":". */
  IMPORT_ROOTS: z.string().default(""),
  /** Largest upload (eval-set file, dataset folder file) in MB; bodies are streamed to disk and stopped there with a 413. */
  UPLOAD_MAX_MB: z.coerce.number().positive("UPLOAD_MAX_MB must be a positive number of megabytes").default(200),
  /** 1 lets a run config carry `faults` (test-only fault injection, lib/faults.ts); off by default, so the API cannot crash or stall trainers on purpose. */
  ENABLE_FAULT_INJECTION: z
    .enum(["", "0", "1"], { error: "ENABLE_FAULT_INJECTION must be 1 (on) or 0 (off)" })
    .default("0")
    .transform((v) => v === "1"),
});
export type Env = z.infer<typeof Env> & { dataDir: string; databaseUrl: string; allowedRoots: string[] };

/** Parses the environment once; a bad value stops the server with a message naming the variable. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = Env.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  const dataDir = path.resolve(parsed.data.DATA_DIR);
  const importRoots = parsed.data.IMPORT_ROOTS.split(path.delimiter).filter(Boolean).map((r) => path.resolve(r));
  // DATA_DIR first: relative paths from requests resolve against it.
  return { ...parsed.data, dataDir, databaseUrl: `file:${path.join(dataDir, "app.db")}`, allowedRoots: [dataDir, ...importRoots] };
}
