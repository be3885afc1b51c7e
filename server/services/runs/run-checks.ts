import { TRPCError } from "@trpc/server";
import { memoryLimitBytes } from "../../../host/memory-limit";
import { DEFAULT_DOMAINS, unknownDomainIssues } from "../../../lib/dataset-domains";
import { DatasetSpec } from "../../../lib/dataset-spec";
import { Exclusion, exclusionIssues } from "../../../lib/exclusion";
import { checkMemory, memoryRefusal, type MemoryBackend } from "../../../lib/memory-check";
import { readPlanConfig } from "../../../lib/planning/input";
import { DEFAULT_DATASET, RunConfig, RunConfigFields } from "../../../lib/run-config";
import type { Db } from "../../db/db";
import type { BackendService } from "../cli/backends";

type Issue = { path: (string | number)[]; message: string };
const DEFAULT_VOCAB = DatasetSpec.parse({ name: DEFAULT_DATASET }).tokenizer.vocabSize;

/**
 * What run.create refuses before a run exists, all in one answer: the schema's issues, mixture
 * domains the dataset lacks, and a memory estimate over what this machine (or the backend) can
 * hold. The form makes the same checks; these make the API refuse too.
 */
export class RunChecks {
  constructor(
    private db: Db,
    private backends: BackendService,
    private machineBytes: () => number = memoryLimitBytes,
  ) {}

  /**
   * The run config from run.create's input, or one refusal naming every problem: the schema's
   * field and cross-field issues together with these checks, made on whatever fields are valid.
   */
  async parse(input: unknown): Promise<RunConfig> {
    const parsed = RunConfig.safeParse(input);
    const raw = typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {};
    const issues: Issue[] = [...(parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)), message: i.message })))];
    const dataset = RunConfigFields.shape.dataset.safeParse(raw.dataset);
    const info = dataset.success ? await this.dataset(dataset.data) : null;
    // Its keys are checked even when a weight is refused, so both come in this answer.
    const mix = raw.mixWeights;
    if (info?.domains && typeof mix === "object" && mix !== null && !Array.isArray(mix)) issues.push(...unknownDomainIssues(mix as Record<string, number>, info.domains));
    const exclude = Exclusion.safeParse(raw.exclude ?? {});
    if (info?.domains && exclude.success) issues.push(...exclusionIssues(exclude.data, info.domains));
    if (info) issues.push(...(await this.memory(raw, info.vocabSize)));
    if (parsed.success && issues.length === 0) return parsed.data;
    const message = issues.map((i) => `${i.path.join(".") || "form"}: ${i.message}`).join("; ");
    throw new TRPCError({ code: "BAD_REQUEST", message, cause: Object.assign(new Error(message), { issues }) });
  }

  /** The dataset's domains and vocabulary; an unknown dataset is left to the trainer's own clear error. */
  async dataset(id: string): Promise<{ domains: readonly string[] | null; vocabSize: number }> {
    if (id === DEFAULT_DATASET) return { domains: DEFAULT_DOMAINS, vocabSize: DEFAULT_VOCAB };
    const row = await this.db.dataset.findUnique({ where: { id } });
    if (!row) return { domains: null, vocabSize: DEFAULT_VOCAB };
    const spec = DatasetSpec.parse(JSON.parse(row.spec));
    return { domains: spec.sources.map((s) => s.domain), vocabSize: row.vocabSize ?? spec.tokenizer.vocabSize };
  }

  /**
   * A run on a worker's queue trains on that machine, which its trainer checks at start-up. auto
   * counts as what it resolves to here; the probe is asked only when wasm's limit is what decides.
   */
  private async memory(raw: Record<string, unknown>, vocabSize: number): Promise<Issue[]> {
    const queue = RunConfigFields.shape.queue.safeParse(raw.queue);
    const ignore = RunConfigFields.shape.ignoreMemoryCheck.safeParse(raw.ignoreMemoryCheck);
    const chosen = RunConfigFields.shape.backend.safeParse(raw.backend);
    const plan = readPlanConfig(raw, vocabSize);
    if (!queue.success || queue.data !== null || !ignore.success || ignore.data || !chosen.success || !plan.ok) return [];
    const machine = this.machineBytes();
    let backend: MemoryBackend = chosen.data;
    if (backend === "auto" && !checkMemory(plan.config, "wasm", machine).fits) backend = (await this.backends.report().catch(() => null))?.auto ?? "auto";
    const verdict = checkMemory(plan.config, backend, machine);
    if (verdict.fits) return [];
    return [{ path: ["ignoreMemoryCheck"], message: memoryRefusal(verdict) }];
  }
}
