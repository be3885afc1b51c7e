import { z } from "zod";

export const MAX_PROMPT_CHARS = 2000;
export const MAX_NEW_TOKENS = 512;
/** The tokenizer's largest vocabulary; the real bound, the checkpoint's vocabulary, is checked once it is loaded. */
export const MAX_TOP_K = 16384;

const notANumber = (issue: { code: string }) => (issue.code === "invalid_type" ? "Must be a number" : undefined);
/** Numbers only: the form and the CLI convert their text (lib/form-number.ts). */
const num = (min: number, max: number) => z.number({ error: notANumber }).min(min, `At least ${min}`).max(max, `At most ${max}`);
const int = (min: number, max: number) => num(min, max).int("Must be a whole number");

/** How to continue a prompt; shared by the generate CLI's flags, the API and the UI form. */
export const SamplingOptions = z.object({
  prompt: z
    .string()
    .max(MAX_PROMPT_CHARS, `At most ${MAX_PROMPT_CHARS.toLocaleString("en-US")} characters`)
    .refine((s) => !s.includes("\0"), "The prompt cannot contain NUL characters"), // it travels as a process argument
  /** Softmax temperature; 0 is greedy (argmax), 0.7–1 is usual for sampling. */
  temperature: num(0, 2).default(0.8),
  /** Sample from the k most likely tokens only; 0 = the whole vocabulary. */
  topK: int(0, MAX_TOP_K).default(40),
  /** New tokens at most; generation also stops at the end-of-text token. */
  maxTokens: int(1, MAX_NEW_TOKENS).default(100),
  /** Same seed, same sample; left out, one is drawn and reported back. */
  seed: int(0, 2 ** 31 - 1).optional(),
});
export type SamplingOptions = z.infer<typeof SamplingOptions>;

const CheckpointRef = z.object({ runId: z.string().min(1).max(64), step: z.number().int().min(0) });

export const GenerateRequest = CheckpointRef.extend(SamplingOptions.shape);
export type GenerateRequest = z.infer<typeof GenerateRequest>;

/** What the generate CLI prints with --json, and what checkpoint.generate returns. */
export const GenerateResult = z.object({
  /** The continuation only, without the prompt. */
  text: z.string(),
  tokens: z.array(z.number().int().min(0)),
  promptTokens: z.number().int().min(0),
  stop: z.enum(["eot", "max_tokens"]),
  seed: z.number().int(),
  /** Milliseconds spent generating, not loading. */
  ms: z.number().min(0),
  loadMs: z.number().min(0),
  backend: z.string(),
});
export type GenerateResult = z.infer<typeof GenerateResult>;

/** What the generate CLI prints with --json for several prompts (or --batch): one model load, then each prompt with the same seed. */
export const GenerateBatchResult = z.object({
  results: z.array(GenerateResult.omit({ loadMs: true })),
  loadMs: z.number().min(0),
});
export type GenerateBatchResult = z.infer<typeof GenerateBatchResult>;

/** Checkpoints side by side on /compare/checkpoints, and prompts generated from each at once. */
export const MAX_COMPARED_CHECKPOINTS = 6;
export const MAX_PROMPTS = 8;

export const CheckpointList = z
  .array(CheckpointRef)
  .min(1, "Pick at least one checkpoint")
  .max(MAX_COMPARED_CHECKPOINTS, `At most ${MAX_COMPARED_CHECKPOINTS} checkpoints can be compared`)
  .refine((cs) => new Set(cs.map((c) => `${c.runId}@${c.step}`)).size === cs.length, "A checkpoint is listed twice");

/** Every prompt from every checkpoint, with the same sampling settings and seed. */
export const CompareGenerateRequest = SamplingOptions.omit({ prompt: true }).extend({
  checkpoints: CheckpointList,
  prompts: z
    .array(SamplingOptions.shape.prompt.pipe(z.string().min(1, "A prompt cannot be empty")))
    .min(1, "Give at least one prompt")
    .max(MAX_PROMPTS, `At most ${MAX_PROMPTS} prompts`),
});
export type CompareGenerateRequest = z.infer<typeof CompareGenerateRequest>;

export const ExportRequest = CheckpointRef;
export type ExportRequest = z.infer<typeof ExportRequest>;

/** What the export CLI prints with --json, and what checkpoint.export returns. */
export const ExportResult = z.object({
  outDir: z.string(),
  step: z.number().int().min(0),
  files: z.array(z.object({ name: z.string(), bytes: z.number().int().min(0) })),
});
export type ExportResult = z.infer<typeof ExportResult>;
