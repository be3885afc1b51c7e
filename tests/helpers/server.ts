import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { io, type Socket } from "socket.io-client";
import type { AppRouter } from "../../server/trpc/router";
import { activeGemm } from "../../trainer/backend/kernels/native-gemm";
import { databaseEnv } from "./db";

const root = path.resolve(import.meta.dirname, "../..");

export interface TestServer {
  url: string;
  dataDir: string;
  proc: ChildProcess;
  output: () => string;
  api: ReturnType<typeof createTRPCClient<AppRouter>>;
  stop: () => Promise<number | null>;
}

export function tempDataDir(label: string) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `pretrain-${label}-`));
}

/**
 * Boots the real server (server/index.ts) on a free port with the given data directory, and under
 * TEST_DB=postgresql with that directory's own PostgreSQL database (tests/helpers/db.ts).
 */
export async function startServer(dataDir: string, extraEnv: Record<string, string> = {}): Promise<TestServer> {
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(root, "server", "index.ts")], {
    cwd: root,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, NODE_ENV: "production", ...(await databaseEnv(dataDir)), ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    proc.stdout!.on("data", () => {
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on("exit", (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${out}`)); });
  });
  const api = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${url}/api/trpc` })] });
  return {
    url, dataDir, proc, api,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve(proc.exitCode);
        proc.once("exit", (code) => resolve(code));
        proc.kill("SIGTERM");
      }),
  };
}

export function browserSocket(url: string): Promise<Socket> {
  const socket = io(url, { transports: ["websocket"] });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

/** Polls `check` until it returns a truthy value or the time runs out. */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 120_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A dataset small enough to prepare in seconds: every default domain, few documents. */
export const SMALL_SPEC = {
  name: "small",
  sources: [
    { domain: "web", kind: "spam-assassin" as const, weight: 45, maxDocuments: 150 },
    { domain: "books", kind: "brown" as const, weight: 30, maxDocuments: 40 },
    { domain: "dialogue", kind: "nlp-corpus" as const, weight: 12, maxDocuments: 150 },
    { domain: "code", kind: "node-modules-code" as const, weight: 13, maxDocuments: 40 },
  ],
  tokenizer: { vocabSize: 512, trainBytes: 300_000 },
};

/** Prepares SMALL_SPEC through the API and waits until it is ready; returns its id. */
export async function prepareSmall(server: TestServer): Promise<string> {
  const d = await server.api.dataset.prepare.mutate(SMALL_SPEC);
  await waitFor(`dataset ${d.id}`, async () => {
    const now = await server.api.dataset.get.query({ id: d.id });
    if (now.status === "failed") throw new Error(`dataset failed: ${now.error}`);
    return now.status === "ready";
  }, 300_000);
  return d.id;
}

/** What a run on wasm reports as its backend here: its products run on OpenBLAS where that loads. */
export const wasmLabel = () => (activeGemm() ? "wasm + OpenBLAS" : "wasm");

/** A config small enough to train many steps a second on one CPU core. */
export const TINY = {
  nLayer: 1, nHead: 2, dModel: 32, contextLength: 32, batchSize: 4, steps: 2000,
  lr: 3e-3, minLr: 3e-4, warmupSteps: 5, evalInterval: 25, evalBatches: 2, checkpointInterval: 100000, logInterval: 1,
  backend: "wasm" as const,
};
