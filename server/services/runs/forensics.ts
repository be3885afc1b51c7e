import fs from "node:fs";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { readManifest } from "../../../formats/dataset";
import { type Exclusion, exclusionIssues } from "../../../lib/exclusion";
import { layerNormsAt, MEDIAN_WINDOW, RebuiltBatch, rollbackCaveats, type LayerNormRow } from "../../../lib/forensics";
import { parseLayerKey, rowName, rowOrder } from "../../../lib/layer-stats";
import type { RunConfigInput } from "../../../lib/run-config";
import type { Db } from "../../db/db";
import { checkpointFile } from "../checkpoints/checkpoint-lookup";
import type { CliJobs } from "../cli/cli-jobs";
import type { RunSummary } from "../hub/run-summary";
import type { RunService } from "./runs";

/** Replaying a long stretch between checkpoints and a forward pass per row: minutes at most on a CPU-sized model. */
const TIMEOUT_MS = 10 * 60_000;
/** Rebuilds at once; each holds a core the trainers need. */
const MAX_CONCURRENT = 2;
const GRAD_NORM_PREFIX = "layers/grad_norm/";

type Job = { fraction: number; message: string; done: Promise<void>; error?: string };

export type ForensicsAnswer =
  | { state: "running"; fraction: number; message: string }
  | ({ state: "done"; runId: string; loggedLoss: number | null; caveats: string[]; layers: LayerNormRow[]; layersNote: string | null; medianWindow: number } & RebuiltBatch);

/**
 * Spike forensics (docs/forensics.md): a step's batch rebuilt by trainer/cli/forensics.ts in a
 * child process (the server loads no model), cached under the run's directory, with the step's
 * logged loss, per-layer gradient norms against their rolling medians, and what may make the
 * rebuild differ from what was trained.
 */
export class ForensicsService {
  private jobs = new Map<string, Job>();

  constructor(
    private db: Db,
    private cli: CliJobs,
    private runs: RunService,
  ) {}

  /** The newest checkpoint at or before `step`, which a fork from the forensics panel goes on from. */
  async checkpointAtOrBefore(runId: string, step: number): Promise<number> {
    const ckpt = await this.db.checkpoint.findFirst({ where: { runId, step: { lte: step } }, orderBy: { step: "desc" }, select: { step: true } });
    if (!ckpt) throw new TRPCError({ code: "BAD_REQUEST", message: `Run ${runId} has no checkpoint at or before step ${step} to fork from` });
    return ckpt.step;
  }

  /** Exclusions the parent's prepared dataset cannot have (unknown domains, documents past their stream), refused per field. */
  checkExclusion(parent: RunSummary, exclude: Exclusion): void {
    const manifest = readManifest(this.runs.dataDir, parent.config.dataset);
    if (!manifest) return; // the default dataset's domains are checked with the run's config; the trainer checks the rest at start
    const trainTokens = Object.fromEntries(manifest.shards.filter((s) => s.split === "train").map((s) => [s.domain, s.tokens]));
    const issues = exclusionIssues(exclude, Object.keys(manifest.domains), trainTokens);
    if (issues.length === 0) return;
    const message = issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new TRPCError({ code: "BAD_REQUEST", message, cause: Object.assign(new Error(message), { issues }) });
  }

  /** Keyed by the checkpoint's sha256 too: a rollback rewrites its restored checkpoint with a new data position. */
  private cacheFile(runId: string, step: number, checkpoint: { step: number; sha256: string }) {
    return path.join(this.runs.runDir(runId), "forensics", `step-${step}-from-${checkpoint.step}-${checkpoint.sha256.slice(0, 12)}.json`);
  }

  /** Starts the rebuild of `step`'s batch, or says how far it is, or answers it when done (from the cache after the first time). */
  async batch(runId: string, step: number): Promise<ForensicsAnswer> {
    const run = await this.runs.get(runId);
    if (run.source !== "trainer") throw new TRPCError({ code: "BAD_REQUEST", message: `Run ${run.name} comes from its own trainer (${run.source}); its batches cannot be rebuilt here` });
    if (step >= run.config.steps) throw new TRPCError({ code: "BAD_REQUEST", message: `Step ${step} is past the run's last step (${run.config.steps - 1})` });
    const ckpt = await this.db.checkpoint.findFirst({ where: { runId, step: { lte: step } }, orderBy: { step: "desc" } });
    if (!ckpt) {
      const first = await this.db.checkpoint.findFirst({ where: { runId }, orderBy: { step: "asc" }, select: { step: true } });
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `Run ${run.name} has no checkpoint at or before step ${step}${first ? `; its first is at step ${first.step}` : "; it has none yet"}: a batch is rebuilt from the data state of one`,
      });
    }
    const last = await this.db.metric.findFirst({ where: { runId, key: "loss" }, orderBy: { step: "desc" }, select: { step: true } });
    if (step > Math.max(ckpt.step, last?.step ?? -1))
      throw new TRPCError({ code: "BAD_REQUEST", message: `Step ${step} has not been trained yet; the run's last logged step is ${last?.step ?? "none"}` });
    const cache = this.cacheFile(runId, step, ckpt);
    if (fs.existsSync(cache)) return this.answer(runId, step, RebuiltBatch.parse(JSON.parse(fs.readFileSync(cache, "utf8"))));
    const key = `${runId}/${path.basename(cache)}`;
    const job = this.jobs.get(key) ?? this.start(key, runId, step, checkpointFile(ckpt.path, this.runs.dataDir, runId), cache);
    if (job.error !== undefined) {
      this.jobs.delete(key);
      throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: job.error });
    }
    return { state: "running", fraction: job.fraction, message: job.message };
  }

  private start(key: string, runId: string, step: number, file: string, cache: string): Job {
    const running = [...this.jobs.values()].filter((j) => j.error === undefined).length;
    if (running >= MAX_CONCURRENT)
      throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `${MAX_CONCURRENT} batch rebuilds are already running; try again when one finishes` });
    const job: Job = { fraction: 0, message: "starting", done: Promise.resolve() };
    job.done = this.cli
      .run("forensics.ts", ["--checkpoint", file, "--step", String(step), "--data-dir", this.runs.dataDir], RebuiltBatch, {
        what: `Rebuilding the batch of step ${step}`, timeoutMs: TIMEOUT_MS,
        onStderrLine: (line) => {
          const m = /^progress (\d(?:\.\d+)?) (.*)$/.exec(line);
          if (m) [job.fraction, job.message] = [Number(m[1]), m[2]];
        },
      })
      .then((result) => {
        fs.mkdirSync(path.dirname(cache), { recursive: true });
        fs.writeFileSync(`${cache}.tmp`, JSON.stringify(result));
        fs.renameSync(`${cache}.tmp`, cache);
        this.jobs.delete(key);
      })
      .catch((e: Error) => void (job.error = e.message));
    this.jobs.set(key, job);
    return job;
  }

  private async answer(runId: string, step: number, batch: RebuiltBatch): Promise<ForensicsAnswer> {
    const loss = await this.db.metric.findUnique({ where: { runId_key_step: { runId, key: "loss", step } }, select: { value: true } });
    const { layers, note } = await this.layerNorms(runId, step);
    return { state: "done", runId, ...batch, loggedLoss: loss?.value ?? null, caveats: await this.caveats(runId, batch), layers, layersNote: note, medianWindow: MEDIAN_WINDOW };
  }

  /** A rollback between the checkpoint and the step changed the data path (the rng and cursors go on past the spike). */
  private async caveats(runId: string, batch: RebuiltBatch): Promise<string[]> {
    const rollbacks = await this.db.alert.findMany({ where: { runId, type: "rollback", step: { gte: batch.checkpointStep } }, orderBy: { step: "asc" } });
    return rollbackCaveats(rollbacks, batch.checkpointStep, batch.step);
  }

  private async layerNorms(runId: string, step: number): Promise<{ layers: LayerNormRow[]; note: string | null }> {
    const points = await this.db.metric.findMany({
      where: { runId, key: { startsWith: GRAD_NORM_PREFIX }, step: { lte: step } },
      orderBy: { step: "desc" },
      take: 200 * (MEDIAN_WINDOW + 1),
      select: { key: true, step: true, value: true },
    });
    if (points.length === 0) return { layers: [], note: "no per-layer statistics logged for this run" };
    const series = new Map<string, { step: number; value: number | null }[]>();
    const order = new Map<string, number>();
    for (const p of points) {
      const parsed = parseLayerKey(p.key);
      if (!parsed || parsed.stat !== "grad_norm") continue;
      const row = rowName(parsed.row);
      order.set(row, rowOrder(parsed.row));
      series.set(row, [...(series.get(row) ?? []), { step: p.step, value: p.value }]);
    }
    const layers = layerNormsAt(series, step).sort((a, b) => order.get(a.row)! - order.get(b.row)!);
    return { layers, note: layers.some((l) => l.value !== null) ? null : `no per-layer gradient norms logged at step ${step}` };
  }
}

/**
 * The config of a run that goes on from `parent`'s last checkpoint at or before `checkpointStep`
 * as the same run would (initFrom.continue), minus the data excluded now and before.
 */
export function forkWithExclusion(parent: RunSummary, checkpointStep: number, exclude: Exclusion, name?: string): RunConfigInput {
  const before = parent.config.exclude;
  const seen = new Set(before.documents.map((d) => `${d.domain}/${d.start}/${d.length}`));
  return {
    ...parent.config,
    name: name ?? `${parent.name} − excluded data @ ${checkpointStep}`.slice(0, 100),
    initFrom: { runId: parent.id, step: checkpointStep, continue: true },
    exclude: {
      domains: [...new Set([...before.domains, ...exclude.domains])],
      documents: [...before.documents, ...exclude.documents.filter((d) => !seen.has(`${d.domain}/${d.start}/${d.length}`))],
    },
    faults: [],
  };
}
