import { TRPCError } from "@trpc/server";
import { BackendReport } from "../../../lib/backends";
import type { RunConfig } from "../../../lib/run-config";
import type { CliJobs } from "./cli-jobs";

/** Loading tfjs, Dawn and wasm in a fresh process takes seconds on a busy machine. */
const TIMEOUT_MS = 60_000;

/**
 * What each backend does on this machine, probed once in a child process (trainer/cli/backends.ts):
 * the trainers the server starts run here, so an explicit backend that cannot start here is
 * refused before a run is created rather than failing it a few seconds later.
 */
export class BackendService {
  private probe: Promise<BackendReport> | null = null;

  constructor(private jobs: CliJobs) {}

  report(): Promise<BackendReport> {
    this.probe ??= this.jobs.run("backends.ts", [], BackendReport, { what: "Probing the backends", timeoutMs: TIMEOUT_MS }).catch((e) => {
      this.probe = null; // a failed probe is retried by the next caller
      throw e;
    });
    return this.probe;
  }

  /** Refuses a run whose explicit backend does not start here; a probe that fails refuses nothing. A run for a worker's queue trains there, not here. */
  async check(config: RunConfig): Promise<void> {
    if (config.backend === "auto" || config.queue !== null) return;
    const report = await this.report().catch(() => null);
    const entry = report?.backends.find((b) => b.name === config.backend);
    if (!entry || entry.available) return;
    const message = `${config.backend} cannot start on this machine: ${entry.detail}. auto would use ${report!.auto}`;
    throw new TRPCError({ code: "BAD_REQUEST", message, cause: Object.assign(new Error(message), { issues: [{ path: ["backend"], message }] }) });
  }
}
