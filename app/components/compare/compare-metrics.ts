const TITLES: Record<string, string> = { loss: "train loss", val_loss: "val loss", val_bpb: "val bits per byte", lr: "learning rate", grad_norm: "grad norm", tokens_per_sec: "tokens/s" };

/** "eval/hellaswag/acc_norm" → "hellaswag acc_norm". */
export const metricTitle = (metric: string) => TITLES[metric] ?? metric.replace(/^eval\//, "").replaceAll("/", " ");

/** Sparse series (validation, benchmarks) are drawn as dots and never smoothed. */
export const isSparse = (metric: string) => metric === "val_loss" || metric === "val_bpb" || metric.startsWith("eval/");
