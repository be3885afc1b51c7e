import { spawn, spawnSync, type ChildProcess } from "node:child_process";
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

/**
 * A network namespace of its own, joined to this one by a veth pair: inside it the host is
 * `hostIp` and nothing else is reachable (its loopback is its own). Null where namespaces cannot
 * be made (not root, no iproute2): the caller says so and goes on without one.
 */
export function networkNamespace(index: number): { name: string; hostIp: string; remove: () => void } | null {
  const name = `pdw${process.pid % 10000}n${index}`;
  const host = `pdh${process.pid % 10000}n${index}`;
  const peer = `pdp${process.pid % 10000}n${index}`;
  const net = `10.${200 + (process.pid % 50)}.${index}`;
  const steps = [
    ["netns", "add", name],
    ["link", "add", host, "type", "veth", "peer", "name", peer],
    ["link", "set", peer, "netns", name],
    ["addr", "add", `${net}.1/30`, "dev", host],
    ["link", "set", host, "up"],
    ["-n", name, "addr", "add", `${net}.2/30`, "dev", peer],
    ["-n", name, "link", "set", peer, "up"],
    ["-n", name, "link", "set", "lo", "up"],
  ];
  const remove = () => {
    spawnSync("ip", ["netns", "del", name]);
    spawnSync("ip", ["link", "del", host]);
  };
  for (const step of steps) {
    if (spawnSync("ip", step, { stdio: "ignore" }).status !== 0) {
      remove();
      return null;
    }
  }
  return { name, hostIp: `${net}.1`, remove };
}

/** Starts `npm run worker`'s program as its own process, with its own DATA_DIR (and, given one, in its own network namespace). */
export function startWorker(server: string, key: string, dataDir: string, args: string[] = [], env: Record<string, string> = {}, netns?: string): TestWorker {
  const command = [process.execPath, "--import", "tsx", path.join(root, "worker", "cli.ts"), "--server", server, "--key", key, "--data-dir", dataDir, ...args];
  const [file, ...argv] = netns ? ["ip", "netns", "exec", netns, ...command] : command;
  const proc = spawn(file, argv, {
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
