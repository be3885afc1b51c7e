import { DatasetSpec } from "./dataset-spec";
import { DEFAULT_DATASET } from "./run-config";

/** The default mixture's domains (web, books, dialogue, code …), from its spec. */
export const DEFAULT_DOMAINS: readonly string[] = DatasetSpec.parse({ name: DEFAULT_DATASET }).sources.map((s) => s.domain);

/**
 * Issues for mixWeights keys that the dataset does not have, one per key at its path, naming the
 * known ones; the trainer would only find them after starting.
 */
export function unknownDomainIssues(mixWeights: Record<string, number>, domains: readonly string[]): { path: (string | number)[]; message: string }[] {
  const known = new Set(domains);
  return Object.keys(mixWeights)
    .filter((d) => !known.has(d))
    .map((d) => ({ path: ["mixWeights", d], message: `unknown domain; this dataset has ${domains.join(", ")}` }));
}
