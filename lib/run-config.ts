import { z } from "zod";

/** Backends the trainer can run on; `auto` tries tensorflow, then wasm, then cpu. */
export const BACKENDS = ["auto", "tensorflow", "wasm", "cpu"] as const;
/** `default` is the default mixture, prepared on first use; otherwise the id of a prepared dataset. */
export const DEFAULT_DATASET = "default";
export const DATASET_REF = /^(default|ds-[0-9a-f]{16})$/;

const notANumber = (issue: { code: string }) => (issue.code === "invalid_type" ? "Must be a number" : undefined);
const num = (min: number, max: number) =>
  z.coerce.number({ error: notANumber }).min(min, `At least ${min}`).max(max, `At most ${max.toLocaleString("en-US")}`);
const int = (min: number, max: number) => num(min, max).int("Must be a whole number");

/**
 * Everything a run needs, shared by the form (browser), the API (server) and the trainer CLI.
 * Each field has a default and a hint; the hints are shown beside the form fields.
 */
export const RunConfigFields = z.object({
  name: z.string().trim().min(1, "Give the run a name").max(100, "At most 100 characters"),
  nLayer: int(1, 48).default(2),
  nHead: int(1, 32).default(2),
  dModel: int(8, 2048).default(64),
  contextLength: int(8, 2048).default(64),
  batchSize: int(1, 1024).default(8),
  steps: int(1, 10_000_000).default(300),
  lr: num(1e-7, 1).default(3e-3),
  minLr: num(0, 1).default(3e-4),
  warmupSteps: int(0, 1_000_000).default(20),
  weightDecay: num(0, 10).default(0.1),
  beta1: num(0, 0.9999).default(0.9),
  beta2: num(0, 0.99999).default(0.95),
  clipNorm: num(0, 1000).default(1),
  evalInterval: int(1, 1_000_000).default(50),
  evalBatches: int(1, 1000).default(4),
  checkpointInterval: int(1, 1_000_000).default(100),
  logInterval: int(1, 1_000_000).default(1),
  seed: int(0, 2 ** 31 - 1).default(1337),
  dataset: z.string().regex(DATASET_REF, "Pick a prepared dataset, or default").default(DEFAULT_DATASET),
  backend: z.enum(BACKENDS, { error: `One of: ${BACKENDS.join(", ")}` }).default("auto"),
});

export const RunConfig = RunConfigFields.superRefine((c, ctx) => {
  if (c.dModel % c.nHead !== 0)
    ctx.addIssue({ code: "custom", path: ["dModel"], message: `Width must be divisible by heads (${c.nHead})` });
  if (c.minLr > c.lr)
    ctx.addIssue({ code: "custom", path: ["minLr"], message: "Minimum learning rate must not exceed the learning rate" });
  if (c.warmupSteps >= c.steps)
    ctx.addIssue({ code: "custom", path: ["warmupSteps"], message: "Warmup must be shorter than the run" });
});

export type RunConfig = z.infer<typeof RunConfig>;
export type RunConfigInput = z.input<typeof RunConfig>;
export type RunConfigKey = keyof RunConfig;

/** One-line hints shown beside each form field: meaning and usual range. */
export const HINTS: Record<RunConfigKey, string> = {
  name: "A label for the runs table",
  nLayer: "Transformer blocks; 2–4 for a quick CPU run, 12+ for GPT-2 small",
  nHead: "Attention heads per block; width must divide evenly",
  dModel: "Embedding width; 64–256 on CPU, 768 for GPT-2 small",
  contextLength: "Tokens per sequence; 64–256 on CPU",
  batchSize: "Sequences per step; tokens per step = batch × context",
  steps: "Optimizer steps in the whole run",
  lr: "Peak AdamW learning rate; 1e-3–3e-3 for tiny models, 6e-4 for GPT-2 small",
  minLr: "Floor of the cosine decay; usually lr / 10",
  warmupSteps: "Linear warmup steps; usually 1–5% of the run",
  weightDecay: "Decoupled weight decay on matrices; 0.01–0.1",
  beta1: "AdamW first-moment decay; 0.9",
  beta2: "AdamW second-moment decay; 0.95 for LMs, 0.999 classic",
  clipNorm: "Clip the global gradient norm to this; 1.0 is usual, 0 turns it off",
  evalInterval: "Steps between validation passes",
  evalBatches: "Validation batches per pass; more is smoother and slower",
  checkpointInterval: "Steps between checkpoints (one is also written on stop)",
  logInterval: "Steps between metric points",
  seed: "Seeds weight init and data order; same seed, same run",
  dataset: "A prepared dataset (its BPE sets the vocabulary); default = web, books, dialogue and code mixture",
  backend: "auto picks tensorflow (GPU/native) if it loads, then wasm, then cpu",
};

/** Labels for the form and the config table. */
export const LABELS: Record<RunConfigKey, string> = {
  name: "Name",
  nLayer: "Layers",
  nHead: "Heads",
  dModel: "Width",
  contextLength: "Context length",
  batchSize: "Batch size",
  steps: "Steps",
  lr: "Learning rate",
  minLr: "Min learning rate",
  warmupSteps: "Warmup steps",
  weightDecay: "Weight decay",
  beta1: "β1",
  beta2: "β2",
  clipNorm: "Clip norm",
  evalInterval: "Eval interval",
  evalBatches: "Eval batches",
  checkpointInterval: "Checkpoint interval",
  logInterval: "Log interval",
  seed: "Seed",
  dataset: "Dataset",
  backend: "Backend",
};

/** Field errors keyed by field name, for showing beside each input. */
export function fieldErrors(error: z.ZodError): Partial<Record<string, string>> {
  const out: Partial<Record<string, string>> = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? "form");
    out[key] ??= issue.message;
  }
  return out;
}
