import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import type { z } from "zod";

const root = path.resolve(import.meta.dirname, "../../..");
/** Output kept per stream; the --json result is one short line. */
const MAX_OUTPUT = 1 << 20;

/**
 * Runs trainer CLIs (`trainer/<script> … --json`) as child processes, so model work never blocks
 * the server's event loop. The result is the last stdout line, checked against its schema; a CLI
 * that fails says why in its last `error:` line (exit 2: the request was bad).
 */
export class CliJobs {
  private running = new Set<ChildProcess>();

  get size() {
    return this.running.size;
  }

  run<T>(script: string, args: string[], result: z.ZodType<T>, opts: { what: string; timeoutMs: number; onStderrLine?: (line: string) => void }): Promise<T> {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, ["--import", "tsx", path.join(root, "trainer", "cli", script), ...args, "--json"], {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
      });
      this.running.add(proc);
      let stdout = "";
      let stderr = "";
      proc.stdout!.on("data", (d) => (stdout = (stdout + d).slice(-MAX_OUTPUT)));
      let partial = "";
      proc.stderr!.on("data", (d) => {
        stderr = (stderr + d).slice(-MAX_OUTPUT);
        if (!opts.onStderrLine) return;
        const lines = (partial + d).split("\n");
        partial = lines.pop()!.slice(-MAX_OUTPUT);
        for (const line of lines) opts.onStderrLine(line);
      });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        proc.kill("SIGKILL");
      }, opts.timeoutMs);
      const fail = (code: TRPCError["code"], message: string) => reject(new TRPCError({ code, message }));
      proc.on("error", (e) => fail("INTERNAL_SERVER_ERROR", `${opts.what} could not start: ${e.message}`));
      proc.on("close", (code, signal) => {
        clearTimeout(timer);
        this.running.delete(proc);
        if (timedOut) return fail("TIMEOUT", `${opts.what} took longer than ${Math.round(opts.timeoutMs / 1000)} s and was stopped`);
        if (code !== 0) {
          const reason = lastError(stderr) ?? (signal ? `killed by ${signal}` : `exited with code ${code}`);
          return fail(code === 2 ? "BAD_REQUEST" : "INTERNAL_SERVER_ERROR", `${opts.what} failed: ${reason}`);
        }
        const line = stdout.trim().split("\n").pop() ?? "";
        try {
          resolve(result.parse(JSON.parse(line)));
        } catch (e) {
          fail("INTERNAL_SERVER_ERROR", `${opts.what} printed an unexpected result (${(e as Error).message.slice(0, 200)}): ${line.slice(0, 200)}`);
        }
      });
    });
  }

  /** On shutdown: nobody is waiting for these any more. */
  killAll() {
    for (const proc of this.running) proc.kill("SIGKILL");
  }
}

function lastError(stderr: string): string | null {
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  const err = [...lines].reverse().find((l) => l.startsWith("error: "));
  return err ? err.slice("error: ".length) : (lines.pop()?.slice(0, 500) ?? null);
}
