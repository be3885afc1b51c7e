import { z } from "zod";

/** Benchmarks scored as lm-evaluation-harness scores them (lambada_openai, hellaswag, piqa, arc_easy). */
export const EVAL_TASKS = ["lambada", "hellaswag", "piqa", "arc_easy"] as const;
export type EvalTask = (typeof EVAL_TASKS)[number];

/** Where a task's examples come from: a registered file, or a synthetic set built from the run's held-out data. */
export const SYNTHETIC = "synthetic";
export const EvalSource = z.object({
  task: z.enum(EVAL_TASKS),
  /** Absolute path of a registered file (jsonl), or "synthetic". */
  file: z.string().min(1).max(4096),
});
export type EvalSource = z.infer<typeof EvalSource>;

export const DEFAULT_EVALS: EvalSource[] = [
  { task: "lambada", file: SYNTHETIC },
  { task: "hellaswag", file: SYNTHETIC },
];

/** Trainer → server after each evaluation: per-example predictions for one task at one step. */
export const EvalPredictions = z.object({
  step: z.number().int().min(0),
  task: z.enum(EVAL_TASKS),
  synthetic: z.boolean(),
  predictions: z
    .array(
      z.object({
        index: z.number().int().min(0),
        /** Index of the chosen answer (multiple choice) or 1/0 for LAMBADA's is_greedy. */
        prediction: z.number().int().min(0),
        gold: z.number().int().min(0),
        correct: z.boolean(),
        /** Per-choice (or LAMBADA's single) log-likelihoods. */
        ll: z.array(z.number().nullable()).max(16),
      }),
    )
    .max(20_000),
});
export type EvalPredictions = z.infer<typeof EvalPredictions>;

/** Chance accuracy per task, drawn as a line on the charts. ARC-Easy depends on its choice count (usually 4). */
export const CHANCE: Record<EvalTask, number | null> = { lambada: null, hellaswag: 0.25, piqa: 0.5, arc_easy: 0.25 };

/**
 * One line of `npm run eval -- --output FILE.jsonl`, in the spirit of lm-evaluation-harness's
 * --log_samples: the example's row (doc_id, 0-based among the file's non-blank lines), the
 * context and the continuations scored (with the target delimiter " "), and either the scores or
 * why the harness could not score it.
 */
const SampleBase = {
  task: z.enum(EVAL_TASKS),
  doc_id: z.number().int().min(0),
  context: z.string(),
  /** The continuation of each choice (LAMBADA: one), as scored. */
  choices: z.array(z.string()).min(1),
  gold: z.number().int().min(0),
};
export const EvalSample = z.union([
  z.strictObject({
    ...SampleBase,
    /** Per-choice log-likelihood; null where it is not finite. */
    ll: z.array(z.number().nullable()),
    /** LAMBADA only: whether greedy decoding gives the continuation (its prediction). */
    is_greedy: z.array(z.boolean()).optional(),
    prediction: z.number().int().min(0),
    correct: z.boolean(),
    /** The per-example values the task's metrics average: acc and acc_norm (LAMBADA: acc and ll). */
    metrics: z.record(z.string(), z.number()),
  }),
  z.strictObject({ ...SampleBase, skipped: z.string().min(1) }),
]);
export type EvalSample = z.infer<typeof EvalSample>;
