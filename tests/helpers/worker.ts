import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type { AppRouter } from "../../server/trpc/router";
import { ADMIN, bearer, call, signIn } from "./auth";

const root = path.resolve(import.meta.dirname, "../..");

export interface TestWorker {
  proc: ChildProcess;
  output: () => string;
  /** The pids of the trainers it said it started, in order. */
  trainerPids: () => number[];
  exited: Promise<number | null>;
}

/** Starts `npm run worker`'s program as its own process, with its own DATA_DIR. */
export function startWorker(server: string, key: string, dataDir: string, args: string[] = [], env: Record<string, string> = {}): TestWorker {
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(root, "worker", "cli.ts"), "--server", server, "--key", key, "--data-dir", dataDir, ...args], {
    cwd: root,
    env: { ...process.env, DATA_DIR: "", DATABASE_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return {
    proc, exited,
    output: () => out,
    trainerPids: () => [...out.matchAll(/trainer started \(trainer pid (\d+)/g)].map((m) => Number(m[1])),
  };
}

/** Signs in as the admin of a server started with ADMIN_ENV and makes a read+write API key; returns it with a tRPC client that uses it. */
export async function writeKey(url: string, name = "worker") {
  const cookie = await signIn(url, ADMIN.login, ADMIN.password);
  const r = await call(url, "apiKey.create", "mutation", { name, scopes: ["read", "write"] }, { cookie });
  if (r.status !== 200) throw new Error(`apiKey.create: ${r.status} ${JSON.stringify(r.body)}`);
  const key = r.body.result.data.key as string;
  const api = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${url}/api/trpc`, headers: bearer(key) })] });
  return { key, cookie, api };
}
