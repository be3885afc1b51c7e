import type { BackendReport } from "../../../lib/backends";
import { unknownDomainIssues } from "../../../lib/dataset-domains";
import { checkMemory, memoryRefusal, type MemoryVerdict } from "../../../lib/memory-check";
import { readPlanConfig } from "../../../lib/planning";

type Issue = { path: (string | number)[]; message: string };

/**
 * The memory verdict for the values being typed, against this server's machine (the report's
 * memory) and the backend the run would take; null when it cannot be known here: a worker's run,
 * no probe yet, or fields that do not parse.
 */
export function formMemoryVerdict(input: Record<string, unknown>, vocabSize: number, report: BackendReport | null, onWorker: boolean): MemoryVerdict | null {
  if (onWorker || !report?.memoryBytes) return null;
  const read = readPlanConfig(input, vocabSize);
  if (!read.ok) return null;
  const backend = input.backend === "auto" ? report.auto : (input.backend as string);
  return checkMemory(read.config, backend as Parameters<typeof checkMemory>[1], report.memoryBytes);
}

/** The checks run.create makes beyond the schema, made here first: unknown mixture domains, and memory. */
export function formIssues(input: Record<string, unknown>, domains: readonly string[] | null, memory: MemoryVerdict | null): Issue[] {
  const issues: Issue[] = [];
  const mix = input.mixWeights;
  if (domains && typeof mix === "object" && mix !== null && !Array.isArray(mix)) issues.push(...unknownDomainIssues(mix as Record<string, number>, domains));
  if (memory && !memory.fits && input.ignoreMemoryCheck !== true) issues.push({ path: ["ignoreMemoryCheck"], message: memoryRefusal(memory) });
  return issues;
}
