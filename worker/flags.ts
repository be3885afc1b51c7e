import os from "node:os";
import { z } from "zod";
import { QUEUE_NAME } from "../lib/run-config";

/**
 * `npm run worker -- --server URL --key KEY [--queue NAME]… [--max-runs N] [--name NAME]
 * [--data-dir DIR] [--shared-storage]`. Every flag may come from the environment instead
 * (WORKER_SERVER, WORKER_KEY, WORKER_QUEUES comma-separated, WORKER_MAX_RUNS, WORKER_NAME,
 * DATA_DIR, WORKER_SHARED_STORAGE=1), which is how deploy/ passes the key without a command line
 * that `ps` shows.
 */
export const WORKER_FLAG_OPTIONS = {
  server: { type: "string" },
  key: { type: "string" },
  queue: { type: "string", multiple: true },
  "max-runs": { type: "string" },
  name: { type: "string" },
  "data-dir": { type: "string" },
  "shared-storage": { type: "boolean" },
} as const;

export const WorkerFlags = z.object({
  /** The dashboard's address; several, comma-separated, for instances without one address in front of them. */
  server: z
    .string({ error: "--server is required: the dashboard's URL, or WORKER_SERVER" })
    .transform((s) => s.split(",").map((u) => u.trim()).filter(Boolean))
    .pipe(z.array(z.url({ protocol: /^https?$/, error: "--server must be the dashboard's http(s) URL, such as https://dash.example.com" })).min(1, "--server needs a URL")),
  key: z.string({ error: "--key is required: an API key with the write scope (API keys page), or WORKER_KEY" }).regex(/^pdk_/, "--key must be an API key (pdk_…)"),
  queue: z.array(z.string().regex(QUEUE_NAME, "--queue names are lowercase letters, digits, '.', '-' or '_' (at most 40)")).min(1).max(32),
  "max-runs": z.coerce.number({ error: "--max-runs must be a whole number" }).int("--max-runs must be a whole number").min(1, "--max-runs must be at least 1").max(64),
  name: z.string().trim().min(1).max(100),
  "data-dir": z.string().min(1),
  "shared-storage": z.boolean(),
});
export type WorkerFlags = z.infer<typeof WorkerFlags>;

/** The flags, with the environment filling what the command line left out. */
export function withEnvDefaults(values: Record<string, unknown>, env: Record<string, string | undefined> = process.env): Record<string, unknown> {
  // An empty variable counts as unset, as a shell's `WORKER_KEY= npm run worker` means.
  const get = (name: string) => env[name] || undefined;
  const list = (s: string | undefined) => s?.split(",").map((q) => q.trim()).filter(Boolean);
  return {
    server: values.server ?? get("WORKER_SERVER"),
    key: values.key ?? get("WORKER_KEY"),
    queue: values.queue ?? list(get("WORKER_QUEUES")) ?? ["default"],
    "max-runs": values["max-runs"] ?? get("WORKER_MAX_RUNS") ?? "1",
    name: values.name ?? get("WORKER_NAME") ?? os.hostname(),
    "data-dir": values["data-dir"] ?? get("DATA_DIR") ?? "./worker-data",
    "shared-storage": values["shared-storage"] ?? get("WORKER_SHARED_STORAGE") === "1",
  };
}
