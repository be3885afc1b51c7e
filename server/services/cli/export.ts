import path from "node:path";
import { ExportResult, type ExportRequest } from "../../../lib/generation";
import { confinedPath } from "../../confined";
import type { Db } from "../../db/db";
import { findCheckpoint } from "../checkpoints/checkpoint-lookup";
import type { CliJobs } from "./cli-jobs";

const TIMEOUT_MS = 120_000;

/** Exports a run's checkpoint with trainer/cli/export.ts, in a child process: reading and re-encoding large files would stall the event loop. */
export class ExportService {
  /** One export per checkpoint at a time: a second request joins the first instead of racing its rename. */
  private inFlight = new Map<string, Promise<ExportResult>>();

  constructor(
    private db: Db,
    private jobs: CliJobs,
    private dataDir: string,
  ) {}

  async export(req: ExportRequest): Promise<ExportResult> {
    const checkpoint = await findCheckpoint(this.db, this.dataDir, req.runId, req.step);
    const key = `${req.runId}/${req.step}`;
    let job = this.inFlight.get(key);
    if (!job) {
      job = this.jobs
        .run("export.ts", ["--checkpoint", checkpoint.path, "--data-dir", this.dataDir], ExportResult, {
          what: `Exporting step ${req.step}`,
          timeoutMs: TIMEOUT_MS,
        })
        // The CLI writes beside the checkpoint; its answer is checked to lie in the run's directory all the same.
        .then((r) => ({ ...r, outDir: confinedPath(r.outDir, [path.join(this.dataDir, "runs", req.runId)], "An export target", "outDir", "inside its run's directory") }))
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, job);
    }
    return job;
  }
}
