import { z } from "zod";

/** Most documents one run may exclude; each one costs a range check per stream at load. */
export const MAX_EXCLUDED_DOCUMENTS = 2000;
const DOMAIN = z.string().regex(/^[a-z][a-z0-9_-]*$/, "Domain names are lowercase");
const count = (what: string) => z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`).min(0, `${what} must be at least 0`).max(1e12);

/**
 * One document of a domain's train stream, by position: `start` is the offset of its first token
 * (just after the previous end-of-text), `length` its tokens including its own end-of-text.
 * Offsets are in the dataset's stream as prepared, whatever was excluded before.
 */
export const ExcludedDocument = z.object({
  domain: DOMAIN,
  start: count("start"),
  length: count("length").min(1, "length must be at least 1"),
});
export type ExcludedDocument = z.infer<typeof ExcludedDocument>;

/** Data left out of the rest of a run: whole domains (weight 0) and documents (cut from their stream at load). */
export const Exclusion = z.object({
  domains: z.array(DOMAIN).max(64, "At most 64 domains").default([]),
  documents: z.array(ExcludedDocument).max(MAX_EXCLUDED_DOCUMENTS, `At most ${MAX_EXCLUDED_DOCUMENTS} documents`).default([]),
});
export type Exclusion = z.infer<typeof Exclusion>;

export const NO_EXCLUSION: Exclusion = { domains: [], documents: [] };

export const isEmptyExclusion = (e: Exclusion) => e.domains.length === 0 && e.documents.length === 0;

/**
 * Issues for exclusions the dataset cannot have: unknown domains, and documents past the end of
 * their domain's train stream (when its length is known). Paths point at the offending entry.
 */
export function exclusionIssues(e: Exclusion, domains: readonly string[], trainTokens?: Record<string, number>): { path: (string | number)[]; message: string }[] {
  const known = new Set(domains);
  const issues: { path: (string | number)[]; message: string }[] = [];
  e.domains.forEach((d, i) => {
    if (!known.has(d)) issues.push({ path: ["exclude", "domains", i], message: `unknown domain ${d}; this dataset has ${domains.join(", ")}` });
  });
  e.documents.forEach((doc, i) => {
    if (!known.has(doc.domain)) issues.push({ path: ["exclude", "documents", i, "domain"], message: `unknown domain ${doc.domain}; this dataset has ${domains.join(", ")}` });
    else {
      const n = trainTokens?.[doc.domain];
      if (n !== undefined && doc.start + doc.length > n)
        issues.push({ path: ["exclude", "documents", i], message: `tokens ${doc.start}..${doc.start + doc.length} lie outside domain ${doc.domain}'s ${n} training tokens` });
    }
  });
  return issues;
}

/** A short summary for the config table. */
export function describeExclusion(e: Exclusion): string {
  if (isEmptyExclusion(e)) return "none";
  const parts = [];
  if (e.domains.length) parts.push(`domains ${e.domains.join(", ")}`);
  if (e.documents.length) parts.push(`${e.documents.length} document${e.documents.length === 1 ? "" : "s"}`);
  return parts.join("; ");
}
