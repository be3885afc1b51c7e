import os from "node:os";
import path from "node:path";
import { z } from "zod";

const Env = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int("PORT must be a whole number").min(0).max(65535).default(3000),
  DATA_DIR: z.string().min(1).default("./data"),
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  /** Seconds a stopping trainer gets to checkpoint before it is killed. */
  STOP_TIMEOUT_S: z.coerce.number().positive().default(60),
  /** Trainers running at once; more runs wait queued. By default one per core, as memory allows. */
  MAX_TRAINERS: z.coerce.number().int("MAX_TRAINERS must be a whole number").min(1).max(1024).default(defaultMaxTrainers()),
});

/** A trainer keeps a core busy and, at the sizes this machine trains, takes up to about 1 GiB. */
function defaultMaxTrainers() {
  return Math.max(1, Math.min(os.availableParallelism(), Math.floor(os.totalmem() / 2 ** 30)));
}
export type Env = z.infer<typeof Env> & { dataDir: string; databaseUrl: string };

/** Parses the environment once; a bad value stops the server with a message naming the variable. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = Env.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  const dataDir = path.resolve(parsed.data.DATA_DIR);
  return { ...parsed.data, dataDir, databaseUrl: `file:${path.join(dataDir, "app.db")}` };
}
