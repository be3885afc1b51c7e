/**
 * Benchmarks during training: the run's suite, and the time budget that keeps evaluation to
 * config.evalBudget of the training time.
 */
import type { DatasetManifest } from "../../formats/dataset";
import type { RunConfig } from "../../lib/run-config";
import { readDatasetTokenizer } from "../inference/generate";
import { EvalSuite } from "./run-evals";

/**
 * The run's benchmark suite, or null when it has none. An mlm model has no next-token
 * distribution to score, so its benchmarks are left out with a log line rather than failing a run
 * whose config carries the default benchmarks.
 */
export async function prepareRunEvals(
  config: RunConfig,
  manifest: DatasetManifest,
  dataDir: string,
  log: (msg: string) => void,
): Promise<EvalSuite | null> {
  if (config.evals.length === 0) return null;
  if (config.objective === "mlm") {
    log("benchmarks are skipped: a masked LM (objective mlm) does not predict the next token, so log-likelihood benchmarks cannot score it");
    return null;
  }
  const tokenizer = readDatasetTokenizer(dataDir, manifest.id, manifest.tokenizer.vocabSize);
  const suite = await EvalSuite.prepare(
    { evals: config.evals, evalExamples: config.evalExamples, dataset: { dataDir, manifest, decode: (ids) => tokenizer.decode(ids) } },
    tokenizer,
    log,
  );
  return suite.sets.length > 0 ? suite : null;
}

/**
 * Evaluation time against training time, both measured from the start of the loop: a round may
 * take share × (time so far not spent evaluating) − time spent evaluating. The first round of a
 * process always runs in full, so every run (and every resume) gets at least one score.
 */
export class EvalBudget {
  private readonly start = performance.now();
  private evalMs = 0;
  private rounds = 0;

  constructor(private readonly share: number) {}

  get trainMs(): number {
    return performance.now() - this.start - this.evalMs;
  }

  get spentMs(): number {
    return this.evalMs;
  }

  /** Milliseconds the next round may take (Infinity for the first); at or below 0, skip it. */
  allowance(): number {
    return this.rounds === 0 ? Infinity : this.share * this.trainMs - this.evalMs;
  }

  record(ms: number): void {
    this.evalMs += ms;
    this.rounds++;
  }
}

const fmt = (x: number) => (!Number.isFinite(x) ? String(x) : Math.abs(x) >= 1e5 ? x.toExponential(2) : Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(3));

/** `lambada acc 0.312 perplexity 41.2 (n 64) │ hellaswag acc 0.281 acc_norm 0.297 (n 60, 4 skipped)`. */
export function formatEvalMetrics(metrics: Record<string, number>): string {
  const byTask = new Map<string, string[]>();
  for (const [key, value] of Object.entries(metrics)) {
    const [, task, metric] = key.split("/");
    if (!byTask.has(task)) byTask.set(task, []);
    if (metric !== "n" && metric !== "skipped") byTask.get(task)!.push(`${metric} ${fmt(value)}`);
  }
  return [...byTask]
    .map(([task, parts]) => {
      const skipped = metrics[`eval/${task}/skipped`];
      return [task, ...parts, `(n ${metrics[`eval/${task}/n`]}${skipped ? `, ${skipped} skipped` : ""})`].join(" ");
    })
    .join(" │ ");
}
