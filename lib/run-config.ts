import { z } from "zod";
import { AnomalyThresholds } from "./anomaly/thresholds";
import { DEFAULT_EVALS, EvalSource } from "./eval/contracts";
import { Exclusion } from "./exclusion";
import { Fault } from "./faults";

export const ARCHITECTURES = ["gpt2", "llama"] as const;
export const OBJECTIVES = ["clm", "mlm", "prefix"] as const;
export const OPTIMIZERS = ["adamw", "adafactor", "lion"] as const;
export const SCHEDULES = ["cosine", "step", "plateau"] as const;
/** Backends the trainer can run on; `auto` tries tensorflow, then webgpu (a GPU through Vulkan), then wasm, then cpu. */
export const BACKENDS = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const;
/** Config fields that decide the shapes of the weights (qkNorm: whether the q/k gains exist): a fork must keep its parent's. */
export const FORK_LOCKED = ["arch", "nLayer", "nHead", "dModel", "contextLength", "qkNorm"] as const;
/** What the trainer does when a step's loss spikes or goes NaN (the alert is raised whatever the policy). */
export const RECOVERY_POLICIES = ["none", "skip-step", "rollback"] as const;
/** `default` is the default mixture, prepared on first use; otherwise the id of a prepared dataset. */
export const DEFAULT_DATASET = "default";
/** layerStatsInterval's default: under 5% of step time at the measured cost of a stats step (docs/layer-stats.md). */
export const LAYER_STATS_DEFAULT = 25;
export const DATASET_REF = /^(default|ds-[0-9a-f]{16})$/;
/** A worker queue's name (npm run worker -- --queue NAME). */
export const QUEUE_NAME = /^[a-z0-9][a-z0-9._-]{0,39}$/;

const notANumber = (issue: { code: string }) => (issue.code === "invalid_type" ? "Must be a number" : undefined);
/** Numbers only: the form converts its text (lib/form-number.ts), so true, null, "" or [] are refused, not read as 1 or 0. */
const num = (min: number, max: number) =>
  z.number({ error: notANumber }).min(min, `At least ${min}`).max(max, `At most ${max.toLocaleString("en-US")}`);
const int = (min: number, max: number) => num(min, max).int("Must be a whole number");
/** A soft-cap: a number above 0, or null for none. */
const softCapField = () => z.number({ error: notANumber }).gt(0, "Above 0, or empty for no cap").max(1e4, "At most 10,000").nullable().default(null);
/** Booleans only: the form converts its selects' "true"/"false". */
const bool = () => z.boolean({ error: "Must be true or false" });

/**
 * Everything a run needs, shared by the form (browser), the API (server) and the trainer CLI.
 * Each field has a default and a hint; the hints are shown beside the form fields.
 */
export const RunConfigFields = z.object({
  name: z.string().trim().min(1, "Give the run a name").max(100, "At most 100 characters"),
  arch: z.enum(ARCHITECTURES).default("gpt2"),
  objective: z.enum(OBJECTIVES).default("clm"),
  /** Prefix LM: share of each sequence that is the bidirectional prefix. */
  prefixFraction: num(0.05, 0.95).default(0.5),
  nLayer: int(1, 48).default(2),
  nHead: int(1, 32).default(2),
  dModel: int(8, 2048).default(64),
  contextLength: int(8, 2048).default(64),
  batchSize: int(1, 1024).default(32),
  /** Sequences per forward/backward pass; batchSize / microBatchSize passes are accumulated per step. 0 = the whole batch. */
  microBatchSize: int(0, 1024).default(0),
  /** Progressive batch size: start at this many sequences (0 = off) and grow linearly to batchSize over batchRampTokens. */
  batchRampStart: int(0, 1024).default(0),
  batchRampTokens: int(0, 1e12).default(0),
  steps: int(1, 10_000_000).default(500),
  lr: num(1e-7, 1).default(1e-2),
  minLr: num(0, 1).default(3e-4),
  warmupSteps: int(0, 1_000_000).default(30),
  weightDecay: num(0, 10).default(0.1),
  optimizer: z.enum(OPTIMIZERS).default("adamw"),
  /** Adafactor: use its own relative step size (lr ignored) instead of the schedule's lr. */
  adafactorRelativeStep: bool().default(false),
  schedule: z.enum(SCHEDULES).default("cosine"),
  /** Step decay: multiply the lr by decayFactor every decayEvery steps after warmup. */
  decayEvery: int(1, 10_000_000).default(100),
  decayFactor: num(0.001, 1).default(0.5),
  /** Reduce on plateau: multiply the lr by plateauFactor after plateauPatience evals without a val-loss improvement. */
  plateauPatience: int(1, 1000).default(3),
  plateauFactor: num(0.001, 1).default(0.5),
  gradientCheckpointing: bool().default(false),
  /** z-loss weight (PaLM): adds zLoss * mean(log Z^2) over the loss positions; 0 = off. */
  zLoss: num(0, 1).default(0),
  /** QK-LayerNorm: normalise q and k per head before the scores, with learned gains. */
  qkNorm: bool().default(false),
  /** Final logits = cap * tanh(logits / cap) (Gemma 2); null = no cap. */
  logitSoftCap: softCapField(),
  /** Attention scores = cap * tanh(scores / cap), before the mask (Gemma 2); null = no cap. */
  attnSoftCap: softCapField(),
  beta1: num(0, 0.9999).default(0.9),
  beta2: num(0, 0.99999).default(0.95),
  clipNorm: num(0, 1000).default(1),
  evalInterval: int(1, 1_000_000).default(100),
  evalBatches: int(1, 1000).default(4),
  checkpointInterval: int(1, 1_000_000).default(100),
  /** Benchmarks run at every eval interval and checkpoint. */
  evals: z.array(EvalSource).max(8).default(DEFAULT_EVALS),
  /** Examples per task per evaluation: a fixed, seeded subset. */
  evalExamples: int(1, 20_000).default(32),
  /** Most of the training time evaluation may take; examples beyond the budget are skipped for that round. */
  evalBudget: num(0.01, 0.9).default(0.2),
  logInterval: int(1, 1_000_000).default(1),
  /** Steps between per-layer statistics (docs/layer-stats.md); 0 = off. */
  layerStatsInterval: int(0, 1_000_000).default(LAYER_STATS_DEFAULT),
  seed: int(0, 2 ** 31 - 1).default(1337),
  dataset: z.string().regex(DATASET_REF, "Pick a prepared dataset, or default").default(DEFAULT_DATASET),
  backend: z.enum(BACKENDS, { error: `One of: ${BACKENDS.join(", ")}` }).default("auto"),
  /** Where the run trains: null = a trainer this server starts; a name = the next worker that pulls from that queue. */
  queue: z.string().regex(QUEUE_NAME, "A queue name: lowercase letters, digits, '.', '-' or '_', at most 40").nullable().default(null),
  /** Data-parallel worker threads, each computing the gradient of a share of the batch; 0 = one per core (capped by the batch), 1 = none. */
  workers: int(0, 64).default(1),
  recovery: z.enum(RECOVERY_POLICIES, { error: `One of: ${RECOVERY_POLICIES.join(", ")}` }).default("none"),
  /** Rollback: data batches skipped beyond the one that spiked. */
  rollbackSkipBatches: int(0, 1_000_000).default(20),
  /** Rollback: learning-rate multiplier for the rollbackLrSteps steps after a rollback (1 = unchanged). */
  rollbackLrScale: num(0.001, 1).default(1),
  rollbackLrSteps: int(0, 1_000_000).default(100),
  /** Rollback attempts before the run fails. */
  maxRollbacks: int(1, 100).default(3),
  /** Resume automatically from the last checkpoint when the trainer process dies. */
  restartOnCrash: bool().default(false),
  maxRestarts: int(1, 100).default(3),
  /** Optional per-run webhook, POSTed on every alert of this run (global webhooks are set on the Alerts page). */
  alertWebhook: z.union([z.literal(""), z.url({ protocol: /^https?$/, error: "An http(s) URL, or empty" })]).default(""),
  anomaly: AnomalyThresholds.default(AnomalyThresholds.parse({})),
  /**
   * Fork: start from another run's checkpoint weights; the optimizer, schedule and data position start
   * fresh, unless `continue`: then the whole training state goes on from there (step, optimizer,
   * schedule, rng, data position), as the same run would.
   */
  initFrom: z.object({ runId: z.string().min(1).max(64), step: int(0, 1e9), continue: bool().default(false) }).nullable().default(null),
  /** Data left out of this run: whole domains, and documents cut from their domain's stream (spike forensics). */
  exclude: Exclusion.default({ domains: [], documents: [] }),
  /** Domain weights overriding the dataset's mixture (empty = the dataset's own), e.g. for continued pretraining on a new mix. */
  mixWeights: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, "Domain names are lowercase"), num(0, 1000), {
    error: 'A JSON object of domain weights, such as {"code": 2, "web": 1}',
  }).default({}),
  /** Start even when the memory estimate exceeds what this machine or backend can hold (lib/memory-check.ts). */
  ignoreMemoryCheck: bool().default(false),
  /** Test-only fault injection (see lib/faults.ts); never set from the form. */
  faults: z.array(Fault).max(32).default([]),
});

/**
 * Whether each of `keys` holds a valid value of its own: the cross-field rules run on whatever
 * parsed (see RunConfig), so a rule looks only at fields that are valid by themselves.
 */
function validFields(c: unknown, keys: readonly RunConfigKey[]): c is RunConfig {
  if (typeof c !== "object" || c === null) return false;
  return keys.every((k) => RunConfigFields.shape[k].safeParse((c as Record<string, unknown>)[k]).success);
}

type Rule = { keys: readonly RunConfigKey[]; path: (string | number)[]; check: (c: RunConfig) => string | null };
/** Rules between fields; each one's message goes on the field at `path`. */
const CROSS_FIELD: Rule[] = [
  { keys: ["dModel", "nHead"], path: ["dModel"], check: (c) => (c.dModel % c.nHead !== 0 ? `Width must be divisible by heads (${c.nHead})` : null) },
  { keys: ["minLr", "lr"], path: ["minLr"], check: (c) => (c.minLr > c.lr ? "Minimum learning rate must not exceed the learning rate" : null) },
  { keys: ["warmupSteps", "steps"], path: ["warmupSteps"], check: (c) => (c.warmupSteps >= c.steps ? "Warmup must be shorter than the run" : null) },
  {
    keys: ["microBatchSize", "batchSize"], path: ["microBatchSize"],
    check: (c) => (c.microBatchSize > 0 && c.batchSize % c.microBatchSize !== 0 ? `The micro-batch must divide the batch (${c.batchSize})` : null),
  },
  { keys: ["batchRampStart", "batchSize"], path: ["batchRampStart"], check: (c) => (c.batchRampStart > c.batchSize ? "The ramp must start at or below the batch size" : null) },
  { keys: ["batchRampStart", "batchRampTokens"], path: ["batchRampTokens"], check: (c) => (c.batchRampStart > 0 && c.batchRampTokens === 0 ? "Give the ramp a length in tokens" : null) },
  {
    keys: ["arch", "dModel", "nHead"], path: ["dModel"],
    check: (c) => (c.arch === "llama" && c.dModel % c.nHead === 0 && (c.dModel / c.nHead) % 2 !== 0 ? "Rotary embeddings need an even head width (width / heads)" : null),
  },
];

/**
 * The config with its cross-field rules. They run even when other fields fail (`when`), on the
 * fields that are valid by themselves, so the form and the API report every error in one round.
 */
export const RunConfig = RunConfigFields.superRefine((c, ctx) => {
  for (const rule of CROSS_FIELD) {
    const message = validFields(c, rule.keys) ? rule.check(c) : null;
    if (message) ctx.addIssue({ code: "custom", path: rule.path, message });
  }
  if (!validFields(c, ["evals"])) return;
  c.evals.forEach((e, i) => {
    if (e.file === "synthetic" && e.task !== "lambada" && e.task !== "hellaswag")
      ctx.addIssue({ code: "custom", path: ["evals", i, "file"], message: `${e.task} has no synthetic set; register a file for it` });
  });
}, { when: () => true });

export type RunConfig = z.infer<typeof RunConfig>;
export type RunConfigInput = z.input<typeof RunConfig>;
export type RunConfigKey = keyof RunConfig;

/** One-line hints shown beside each form field: meaning and usual range. */
export const HINTS: Record<RunConfigKey, string> = {
  name: "A label for the runs table",
  arch: "gpt2 = LayerNorm, GELU, learned positions; llama = RMSNorm, SwiGLU, rotary positions",
  objective: "clm = next token (decoder-only); mlm = BERT-style 15% masking; prefix = bidirectional prefix, causal after",
  prefixFraction: "Prefix LM only: share of each sequence seen bidirectionally; 0.5 is usual",
  nLayer: "Transformer blocks; 2–4 for a quick CPU run, 12+ for GPT-2 small",
  nHead: "Attention heads per block; width must divide evenly",
  dModel: "Embedding width; 64–256 on CPU, 768 for GPT-2 small",
  contextLength: "Tokens per sequence; 64–256 on CPU",
  batchSize: "Sequences per step; tokens per step = batch × context; 256–4096 at full scale",
  microBatchSize: "Sequences per pass; batch / micro-batch passes are accumulated; 0 = no accumulation",
  batchRampStart: "Progressive batch: first step's batch (0 = off); grows linearly to the batch size",
  batchRampTokens: "Tokens over which the batch ramps up to its full size",
  steps: "Optimizer steps in the whole run",
  lr: "Peak learning rate; 1e-4–5e-4 at scale, 1e-3–1e-2 for tiny models (width 64: 1e-2)",
  minLr: "Floor of the cosine decay; usually lr / 10",
  warmupSteps: "Linear warmup steps; usually 1–2% of the run",
  weightDecay: "Decoupled weight decay on matrices; 0.01–0.1 (Lion: 3–10× AdamW's)",
  optimizer: "adamw; adafactor (factored, memory-light); lion (sign update: lr 3–10× smaller, decay 3–10× larger)",
  adafactorRelativeStep: "Adafactor only: its own step size min(1e-2, 1/√t) instead of the lr schedule",
  schedule: "cosine = warmup then cosine decay; step = piecewise constant; plateau = cut on flat val loss",
  decayEvery: "Step schedule: steps between lr cuts",
  decayFactor: "Step schedule: lr multiplier at each cut; 0.1–0.5",
  plateauPatience: "Plateau schedule: evals without improvement before a cut",
  plateauFactor: "Plateau schedule: lr multiplier at each cut; 0.5 is usual",
  gradientCheckpointing: "Recompute each block in backward: less activation memory, ~30% more compute",
  zLoss: "z-loss weight; PaLM: 1e-4; keeps log Z near 0 so the softmax stays in range in bf16; 0 = off",
  qkNorm: "Normalise q and k per head (LayerNorm / RMSNorm, learned gains) before attention; curbs attention-logit growth at high lr (ViT-22B, OLMo 2)",
  logitSoftCap: "Cap the final logits smoothly: cap · tanh(logits / cap); Gemma 2: 30; empty = no cap",
  attnSoftCap: "Cap the attention scores the same way, before the mask; Gemma 2: 50; keeps one key from taking all the weight; empty = no cap",
  beta1: "First-moment decay (AdamW, Lion); 0.9",
  beta2: "AdamW second-moment decay; 0.95 for LMs (Lion uses 0.99, Adafactor 1 − t^−0.8)",
  clipNorm: "Clip the global gradient norm to this; 1.0 is usual, 0 turns it off",
  evalInterval: "Steps between validation passes",
  evalBatches: "Validation batches per pass; more is smoother and slower",
  checkpointInterval: "Steps between checkpoints (one is also written on stop)",
  evals: "Benchmarks scored as lm-evaluation-harness does; synthetic sets are built from held-out data",
  evalExamples: "Examples per task per evaluation (a fixed seeded subset); 32–500",
  evalBudget: "Largest share of training time evaluation may use; rounds over it are skipped; 0.1–0.3",
  logInterval: "Steps between metric points",
  layerStatsInterval: "Steps between per-layer statistics (grad/param norms, update ratio, activations, attention entropy); 0 = off",
  seed: "Seeds weight init and data order; same seed, same run",
  dataset: "A prepared dataset (its BPE sets the vocabulary); default = web, books, dialogue and code mixture",
  queue: "Run on this server, or on the next remote worker that pulls from this queue (npm run worker -- --queue NAME)",
  backend: "auto tries tensorflow (native, CUDA), then webgpu (a GPU through Vulkan), then wasm, then cpu, and says what it skipped and why",
  workers: "Threads sharing each batch (data parallel, same result); 0 = one per core on wasm/cpu, 1 = train in the trainer's own thread",
  recovery: "On a loss spike or NaN: none = alert only; skip-step = drop that update; rollback = reload the last checkpoint and skip the bad data",
  rollbackSkipBatches: "Rollback: batches skipped past the one that spiked; PaLM skipped ~200–500",
  rollbackLrScale: "Rollback: lr multiplier for a while after (1 = unchanged; 0.5 is a common choice)",
  rollbackLrSteps: "Rollback: steps the lr multiplier lasts",
  maxRollbacks: "Rollbacks before the run fails with the reason",
  restartOnCrash: "Resume from the last checkpoint automatically when the trainer dies",
  maxRestarts: "Automatic restarts before the run stays crashed",
  alertWebhook: "Optional URL to POST this run's alerts to (JSON); global webhooks live on the Alerts page",
  anomaly: "Detector thresholds: loss spike, drop, grad norm, throughput, stall, memory, eval regression",
  faults: "Test-only fault injection (JSON/API only)",
  ignoreMemoryCheck: "Start even though the memory estimate is over this machine's or the backend's limit",
  initFrom: "Fork: the parent run and checkpoint step whose weights this run starts from",
  exclude: "Domains and documents left out of this run's training data (set from a run's batch forensics)",
  mixWeights: 'Override the dataset\'s domain weights, e.g. {"code": 2, "web": 1}; {} keeps the dataset\'s mix',
};

/** Labels for the form and the config table. */
export const LABELS: Record<RunConfigKey, string> = {
  name: "Name",
  arch: "Architecture",
  objective: "Objective",
  prefixFraction: "Prefix share",
  nLayer: "Layers",
  nHead: "Heads",
  dModel: "Width",
  contextLength: "Context length",
  batchSize: "Batch size",
  microBatchSize: "Micro-batch",
  batchRampStart: "Ramp start batch",
  batchRampTokens: "Ramp tokens",
  steps: "Steps",
  lr: "Learning rate",
  minLr: "Min learning rate",
  warmupSteps: "Warmup steps",
  weightDecay: "Weight decay",
  optimizer: "Optimizer",
  adafactorRelativeStep: "Adafactor relative step",
  schedule: "Schedule",
  decayEvery: "Decay every",
  decayFactor: "Decay factor",
  plateauPatience: "Plateau patience",
  plateauFactor: "Plateau factor",
  gradientCheckpointing: "Gradient checkpointing",
  zLoss: "z-loss",
  qkNorm: "QK-norm",
  logitSoftCap: "Logit soft-cap",
  attnSoftCap: "Attention soft-cap",
  beta1: "β1",
  beta2: "β2",
  clipNorm: "Clip norm",
  evalInterval: "Eval interval",
  evalBatches: "Eval batches",
  checkpointInterval: "Checkpoint interval",
  evals: "Benchmarks",
  evalExamples: "Benchmark examples",
  evalBudget: "Benchmark time budget",
  logInterval: "Log interval",
  layerStatsInterval: "Layer stats interval",
  seed: "Seed",
  dataset: "Dataset",
  backend: "Backend",
  queue: "Run on",
  workers: "Gradient threads",
  recovery: "Recovery",
  rollbackSkipBatches: "Rollback skip batches",
  rollbackLrScale: "Rollback lr scale",
  rollbackLrSteps: "Rollback lr steps",
  maxRollbacks: "Max rollbacks",
  restartOnCrash: "Restart on crash",
  maxRestarts: "Max restarts",
  alertWebhook: "Alert webhook",
  anomaly: "Anomaly thresholds",
  faults: "Fault injection",
  ignoreMemoryCheck: "Try anyway",
  initFrom: "Forked from",
  mixWeights: "Mixture override",
  exclude: "Excluded data",
};

/** Field errors keyed by field name, for showing beside each input. */
export function fieldErrors(error: z.ZodError): Partial<Record<string, string>> {
  // Keys can come from the input (a record's keys): a Map, so "__proto__" is a key like any other.
  const out = new Map<string, string>();
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? "form");
    if (!out.has(key)) out.set(key, issue.message);
  }
  return Object.fromEntries(out);
}
