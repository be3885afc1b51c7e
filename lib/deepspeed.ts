import type { RunConfigInput } from "./run-config";

export interface DeepSpeedImport {
  /** Run-config fields set from the DeepSpeed file. */
  config: Partial<RunConfigInput>;
  /** Keys that have no meaning for this trainer, listed rather than silently dropped. */
  ignored: string[];
  /** Approximations worth knowing about. */
  notes: string[];
}

/** Keys of a DeepSpeed config that change nothing here (one process, fp32, no ZeRO sharding). */
const MEANINGLESS: Record<string, string> = {
  zero_optimization: "ZeRO sharding: one process holds everything here",
  fp16: "mixed precision: training is fp32",
  bf16: "mixed precision: training is fp32",
  amp: "mixed precision: training is fp32",
  zero_allow_untested_optimizer: "ZeRO setting",
  zero_force_ds_cpu_optimizer: "ZeRO setting",
  wall_clock_breakdown: "DeepSpeed profiling",
  flops_profiler: "DeepSpeed profiling",
  tensorboard: "logging goes to the dashboard",
  wandb: "logging goes to the dashboard",
  csv_monitor: "logging goes to the dashboard",
  comms_logger: "no inter-process communication",
  communication_data_type: "no inter-process communication",
  prescale_gradients: "no inter-process communication",
  gradient_predivide_factor: "no inter-process communication",
  sparse_gradients: "dense gradients only",
  elasticity: "fixed single-process training",
  data_efficiency: "data is scheduled by the dataset mixture",
  compression_training: "no quantization or pruning",
};

const OPTIMIZERS: Record<string, RunConfigInput["optimizer"]> = { adamw: "adamw", adam: "adamw", lion: "lion", adafactor: "adafactor" };

function fail(message: string): never {
  throw new Error(`DeepSpeed config: ${message}`);
}

function num(v: unknown, where: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(`${where} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function optionalNum(o: Record<string, unknown>, key: string, where: string): number | undefined {
  return o[key] === undefined || o[key] === "auto" ? undefined : num(o[key], `${where}.${key}`);
}

/**
 * Maps a DeepSpeed JSON config onto run-config fields. The batch identity
 * train_batch_size = micro_batch × gradient_accumulation_steps × GPUs (1 here) is checked, and
 * any two of the three determine the third, as DeepSpeed itself does.
 */
export function importDeepSpeed(raw: unknown): DeepSpeedImport {
  let ds = raw;
  if (typeof ds === "string") {
    try {
      ds = JSON.parse(ds);
    } catch (e) {
      fail(`not valid JSON (${(e as Error).message})`);
    }
  }
  if (!ds || typeof ds !== "object" || Array.isArray(ds)) fail("expected a JSON object");
  const o = ds as Record<string, unknown>;
  const config: Partial<RunConfigInput> = {};
  const ignored: string[] = [];
  const notes: string[] = [];
  const handled = new Set(["train_batch_size", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps", "gradient_clipping", "optimizer", "scheduler", "steps_per_print", "activation_checkpointing"]);

  const total = optionalNum(o, "train_batch_size", "");
  const micro = optionalNum(o, "train_micro_batch_size_per_gpu", "");
  const accum = optionalNum(o, "gradient_accumulation_steps", "");
  for (const [k, v] of [["train_batch_size", total], ["train_micro_batch_size_per_gpu", micro], ["gradient_accumulation_steps", accum]] as const)
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) fail(`${k} must be a positive whole number, got ${v}`);
  if (total !== undefined && micro !== undefined && accum !== undefined && total !== micro * accum)
    fail(`train_batch_size (${total}) must equal train_micro_batch_size_per_gpu (${micro}) × gradient_accumulation_steps (${accum}) × 1 GPU = ${micro * accum}`);
  if (total !== undefined && micro !== undefined && total % micro !== 0)
    fail(`train_batch_size (${total}) is not a multiple of train_micro_batch_size_per_gpu (${micro})`);
  const batch = total ?? (micro !== undefined ? micro * (accum ?? 1) : undefined);
  if (batch !== undefined) config.batchSize = batch;
  const microBatch = micro ?? (total !== undefined && accum !== undefined ? total / accum : undefined);
  if (microBatch !== undefined) {
    if (!Number.isInteger(microBatch)) fail(`train_batch_size (${total}) is not divisible by gradient_accumulation_steps (${accum})`);
    config.microBatchSize = microBatch;
  }

  if (o.gradient_clipping !== undefined) config.clipNorm = num(o.gradient_clipping, "gradient_clipping");
  if (o.steps_per_print !== undefined) config.logInterval = num(o.steps_per_print, "steps_per_print");
  if (o.activation_checkpointing !== undefined) {
    config.gradientCheckpointing = true;
    notes.push("activation_checkpointing → gradient checkpointing of every block (its partition and offload options do not apply)");
  }

  if (o.optimizer !== undefined) {
    const opt = o.optimizer as { type?: unknown; params?: Record<string, unknown> };
    const type = String(opt?.type ?? "").toLowerCase();
    const mapped = OPTIMIZERS[type];
    if (!mapped) fail(`optimizer.type ${JSON.stringify(opt?.type)} is not supported; use AdamW, Adam, Lion or Adafactor`);
    config.optimizer = mapped;
    const p = opt.params ?? {};
    const lr = optionalNum(p, "lr", "optimizer.params");
    if (lr !== undefined) config.lr = lr;
    const wd = optionalNum(p, "weight_decay", "optimizer.params");
    if (wd !== undefined) config.weightDecay = wd;
    if (p.betas !== undefined) {
      if (!Array.isArray(p.betas) || p.betas.length !== 2) fail("optimizer.params.betas must be [beta1, beta2]");
      config.beta1 = num(p.betas[0], "optimizer.params.betas[0]");
      config.beta2 = num(p.betas[1], "optimizer.params.betas[1]");
    }
    if (type === "adam" && wd) notes.push("Adam with weight_decay is run as AdamW (decoupled decay), as DeepSpeed's adam_w_mode does by default");
    for (const k of Object.keys(p)) if (!["lr", "weight_decay", "betas"].includes(k)) ignored.push(`optimizer.params.${k}`);
  }

  if (o.scheduler !== undefined) {
    const sch = o.scheduler as { type?: unknown; params?: Record<string, unknown> };
    const p = sch?.params ?? {};
    const warmup = optionalNum(p, "warmup_num_steps", "scheduler.params");
    if (warmup !== undefined) config.warmupSteps = warmup;
    const maxLr = optionalNum(p, "warmup_max_lr", "scheduler.params");
    if (maxLr !== undefined) config.lr = maxLr;
    const minLr = optionalNum(p, "warmup_min_lr", "scheduler.params");
    const totalSteps = optionalNum(p, "total_num_steps", "scheduler.params");
    if (totalSteps !== undefined) config.steps = totalSteps;
    switch (sch?.type) {
      case "WarmupCosineLR": {
        config.schedule = "cosine";
        const ratio = optionalNum(p, "cos_min_ratio", "scheduler.params");
        if (ratio !== undefined) config.minLr = ratio * Number(config.lr ?? 0);
        if (minLr !== undefined) notes.push("warmup_min_lr: warmup here starts from lr / warmup steps, not from a set minimum");
        break;
      }
      case "WarmupDecayLR":
        config.schedule = "cosine";
        if (minLr !== undefined) config.minLr = minLr;
        notes.push("WarmupDecayLR decays linearly; it is mapped to warmup + cosine decay to the same end point");
        break;
      case "WarmupLR":
        config.schedule = "step";
        config.decayFactor = 1;
        notes.push("WarmupLR holds the lr after warmup; mapped to a step schedule with factor 1 (constant)");
        break;
      default:
        fail(`scheduler.type ${JSON.stringify(sch?.type)} is not supported; use WarmupLR, WarmupDecayLR or WarmupCosineLR`);
    }
    for (const k of Object.keys(p))
      if (!["warmup_num_steps", "warmup_max_lr", "warmup_min_lr", "total_num_steps", "cos_min_ratio"].includes(k)) ignored.push(`scheduler.params.${k}`);
  }

  for (const key of Object.keys(o)) {
    if (handled.has(key)) continue;
    ignored.push(MEANINGLESS[key] ? `${key} (${MEANINGLESS[key]})` : `${key} (not understood)`);
  }
  return { config, ignored, notes };
}
