import type { StepReport } from "../../formats/dataset-report";
import type { DatasetSpec } from "../../lib/dataset-spec";
import { dedupExact, dedupNear, dedupParagraphs } from "./dedup";
import { markupStage } from "./markup";
import { normalizeStage } from "./normalize";
import { qualityStage } from "./quality";
import { safetyStage } from "./safety";
import type { Doc, Flagged, StepResult } from "./types";

export const STAGES = ["markup", "normalize", "dedup-exact", "dedup-paragraph", "dedup-near", "quality", "safety"] as const;
export type StageName = (typeof STAGES)[number];

export interface CleanResult {
  docs: Doc[];
  /** Per stage, in order: the report over all domains, then one per domain (with `domain` set). */
  reports: StepReport[];
  flagged: Flagged[];
}

/**
 * Runs the cleaning stages in their fixed order. Dedup runs across domains, so a document
 * repeated in two domains is kept in the first source's domain only. `onStage` is called before
 * each stage (index 0…6) and once more with index = total when all are done.
 */
export function cleanDocuments(
  docs: Doc[],
  spec: DatasetSpec,
  onStage?: (name: StageName, index: number, total: number) => void,
): CleanResult {
  let flagged: Flagged[] = [];
  const run: Record<StageName, (d: Doc[]) => StepResult> = {
    markup: (d) => markupStage(d, spec.clean.stripMarkup),
    normalize: (d) => normalizeStage(d, spec.clean.normalize),
    "dedup-exact": (d) => dedupExact(d, spec.dedup.exact),
    "dedup-paragraph": (d) => dedupParagraphs(d, spec.dedup.paragraph),
    "dedup-near": (d) => dedupNear(d, spec.dedup),
    quality: (d) => qualityStage(d, spec.quality),
    safety: (d) => {
      const r = safetyStage(d, spec.safety);
      flagged = r.flagged;
      return r;
    },
  };
  const domains = [...new Set([...spec.sources.map((s) => s.domain), ...docs.map((d) => d.domain)])];
  const reports: StepReport[] = [];
  let current = docs;
  STAGES.forEach((name, i) => {
    onStage?.(name, i, STAGES.length);
    const result = run[name](current);
    reports.push(result.report, ...domainReports(result, domains));
    current = result.docs;
  });
  onStage?.(STAGES[STAGES.length - 1], STAGES.length, STAGES.length);
  return { docs: current, reports, flagged };
}

/** One report per domain of the spec, in the spec's order, zeros for a domain with no documents left. */
function domainReports(result: StepResult, domains: string[]): StepReport[] {
  const byDomain = new Map((result.domainReports ?? []).map((r) => [r.domain, r]));
  return domains.map(
    (domain) =>
      byDomain.get(domain) ?? { step: result.report.step, domain, enabled: result.report.enabled, docsIn: 0, docsOut: 0, bytesIn: 0, bytesOut: 0, examples: [] },
  );
}
