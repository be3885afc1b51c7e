import { execFile, spawn } from "node:child_process";
import os from "node:os";
import { promisify } from "node:util";
import { BackendReport } from "../lib/backends";
import type { GpuInfo } from "../lib/worker-protocol";

const run = promisify(execFile);

/** The machine's NVIDIA GPUs as nvidia-smi lists them; none where it is absent or finds none. */
export async function nvidiaGpus(): Promise<GpuInfo[]> {
  try {
    const { stdout } = await run("nvidia-smi", ["--query-gpu=index,name,memory.total,driver_version", "--format=csv,noheader,nounits"], { timeout: 15_000 });
    return parseNvidiaSmi(stdout);
  } catch {
    return [];
  }
}

/** `0, NVIDIA H200, 143771, 550.54.15` per line; memory in MiB. */
export function parseNvidiaSmi(csv: string): GpuInfo[] {
  return csv
    .split("\n")
    .map((line) => line.split(",").map((f) => f.trim()))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[0]))
    .map(([index, name, mib, driver]) => ({
      index: Number(index),
      name,
      memoryBytes: /^\d+$/.test(mib) ? Number(mib) * 1024 * 1024 : null,
      driver: driver || null,
    }));
}

/**
 * Which backends a trainer started here can use, and the one `auto` takes, probed in a child
 * process (this program's `probe` subcommand) so the worker itself never holds a GPU context.
 */
export async function probeBackends(entry: string[]): Promise<BackendReport | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...entry, "probe"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("close", () => {
      clearTimeout(timer);
      const line = out.trim().split("\n").at(-1) ?? "";
      try {
        resolve(BackendReport.parse(JSON.parse(line)));
      } catch {
        resolve(null);
      }
    });
  });
}

export function machine() {
  return { host: os.hostname(), platform: `${os.platform()} ${os.arch()}`, cores: os.availableParallelism(), memoryBytes: os.totalmem() };
}
