import { TRPCError } from "@trpc/server";
import { DatasetSpec } from "../../lib/dataset-spec";
import { DEFAULT_DOMAINS, unknownDomainIssues } from "../../lib/dataset-domains";
import { checkMemory, memoryRefusal } from "../../lib/memory-check";
import { DEFAULT_DATASET, type RunConfig } from "../../lib/run-config";
import { memoryLimitBytes } from "../../trainer/memory-limit";
import type { Db } from "../db";
import type { BackendService } from "./backends";

type Issue = { path: (string | number)[]; message: string };
const DEFAULT_VOCAB = DatasetSpec.parse({ name: DEFAULT_DATASET }).tokenizer.vocabSize;

/**
 * What run.create refuses before a run exists, all in one answer: mixture domains the dataset
 * lacks, and a memory estimate over what this machine (or the backend) can hold. The form makes
 * the same checks; these make the API refuse too.
 */
export class RunChecks {
  constructor(
    private db: Db,
    private backends: BackendService,
    private machineBytes: () => number = memoryLimitBytes,
  ) {}

  async check(config: RunConfig): Promise<void> {
    const dataset = await this.dataset(config.dataset);
    const domainIssues = dataset.domains ? unknownDomainIssues(config.mixWeights, dataset.domains) : [];
    const issues: Issue[] = [...domainIssues, ...(await this.memory(config, dataset.vocabSize))];
    if (issues.length === 0) return;
    const message = issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new TRPCError({ code: "BAD_REQUEST", message, cause: Object.assign(new Error(message), { issues }) });
  }

  /** The dataset's domains and vocabulary; an unknown dataset is left to the trainer's own clear error. */
  private async dataset(id: string): Promise<{ domains: readonly string[] | null; vocabSize: number }> {
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
  private async memory(config: RunConfig, vocabSize: number): Promise<Issue[]> {
    if (config.queue !== null || config.ignoreMemoryCheck) return [];
    const plan = { ...config, vocabSize };
    const machine = this.machineBytes();
    let backend = config.backend;
    if (backend === "auto" && !checkMemory(plan, "wasm", machine).fits) backend = (await this.backends.report().catch(() => null))?.auto ?? "auto";
    const verdict = checkMemory(plan, backend, machine);
    if (verdict.fits) return [];
    return [{ path: ["ignoreMemoryCheck"], message: memoryRefusal(verdict) }];
  }
}
