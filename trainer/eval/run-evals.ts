/**
 * The benchmarks of one run: each task's examples loaded once, a fixed seeded subset picked, and
 * scored on demand (mid-training, or by the eval CLI) within a time budget.
 */
import { SYNTHETIC, type EvalPredictions, type EvalSource, type EvalTask } from "../../lib/eval/contracts";
import { readTaskFile } from "../../lib/eval/read-file";
import { aggregate, buildRequests, scoreExample, type Example, type LoglikRequest, type ScoredExample } from "../../lib/eval/tasks";
import { Rng } from "../../lib/rng";
import type { ModelConfig, Params } from "../model";
import type { DatasetManifest } from "../pipeline/manifest";
import { loglikelihoods, type Encoder } from "./loglik";
import { ensureSyntheticSet, NoSyntheticSet } from "./synthetic-set";

/** Seeds the subset: fixed, so every round and every run on the same file scores the same examples. */
const SUBSET_SEED = 0xe7a1;
/** Requests per forward pass; see the batch-size measurements in the eval-suite test. */
export const EVAL_BATCH = 16;

interface TaskSet {
  task: EvalTask;
  synthetic: boolean;
  file: string;
  examples: Example[];
  /** Indices into examples, in scoring order: a seeded shuffle, so a budget-cut round still scores a random sample. */
  subset: number[];
}

export interface SuiteResult {
  /** `eval/<task>/<metric>` → value, with `eval/<task>/n` the examples scored. */
  metrics: Record<string, number>;
  predictions: EvalPredictions[];
  ms: number;
  /** Every task scored its whole subset. */
  complete: boolean;
}

export interface SuiteSources {
  evals: EvalSource[];
  evalExamples: number;
  /** Needed for synthetic sets only. */
  dataset?: { dataDir: string; manifest: DatasetManifest; decode: (ids: ArrayLike<number>) => string };
}

/** `count` distinct indices of 0..n-1, in a seeded order (partial Fisher-Yates). */
export function seededSubset(n: number, count: number, seed = SUBSET_SEED): number[] {
  const rng = new Rng(seed);
  const perm = Array.from({ length: n }, (_, i) => i);
  const k = Math.min(n, count);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm.slice(0, k);
}

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

export class EvalSuite {
  private constructor(
    readonly sets: TaskSet[],
    private readonly tokenizer: Encoder,
  ) {}

  /**
   * Loads every task's examples; a file that is missing or malformed fails here, before training.
   * A synthetic set the held-out data is too small for is left out, with a log line.
   */
  static async prepare(sources: SuiteSources, tokenizer: Encoder, log: (msg: string) => void = () => {}): Promise<EvalSuite> {
    const sets: TaskSet[] = [];
    for (const { task, file } of sources.evals) {
      const synthetic = file === SYNTHETIC;
      let path = file;
      if (synthetic) {
        if (!sources.dataset) throw new Error(`a synthetic ${task} set needs the run's dataset`);
        const { dataDir, manifest, decode } = sources.dataset;
        try {
          path = ensureSyntheticSet(dataDir, manifest, decode, task, log);
        } catch (e) {
          if (!(e instanceof NoSyntheticSet)) throw e;
          log(`benchmark ${task} left out: ${e.message}`);
          continue;
        }
      }
      const examples: Example[] = await readTaskFile(task, path);
      sets.push({ task, synthetic, file: path, examples, subset: seededSubset(examples.length, sources.evalExamples) });
    }
    return new EvalSuite(sets, tokenizer);
  }

  /**
   * Scores each task's subset in order until the task's share of the budget is spent: the time
   * left is split evenly over the tasks not yet run, so a task that finishes early leaves its time
   * to the next. Time is checked between batches of whole examples, and every task scores at
   * least one batch, so a round may overrun by about one batch per task.
   */
  async run(params: Params, cfg: ModelConfig, step: number, timeBudgetMs = Infinity, batchSize = EVAL_BATCH): Promise<SuiteResult> {
    const start = performance.now();
    const metrics: Record<string, number> = {};
    const predictions: EvalPredictions[] = [];
    let complete = true;
    for (const [t, set] of this.sets.entries()) {
      const taskStart = performance.now();
      const share = (timeBudgetMs - (taskStart - start)) / (this.sets.length - t);
      const scored: ScoredExample[] = [];
      const rows: EvalPredictions["predictions"] = [];
      let next = 0;
      while (next < set.subset.length && (next === 0 || performance.now() - taskStart < share)) {
        const chunk: { index: number; requests: LoglikRequest[] }[] = [];
        let count = 0;
        while (next < set.subset.length && count < batchSize) {
          const index = set.subset[next++];
          const requests = buildRequests(set.task, set.examples[index]);
          chunk.push({ index, requests });
          count += requests.length;
        }
        const results = await loglikelihoods(params, cfg, this.tokenizer, chunk.flatMap((c) => c.requests), { batchSize });
        let at = 0;
        for (const { index, requests } of chunk) {
          const own = results.slice(at, (at += requests.length));
          const s = scoreExample(set.task, set.examples[index], own);
          scored.push(s);
          rows.push({ index, prediction: s.prediction, gold: s.gold, correct: s.correct, ll: own.map((r) => finiteOrNull(r.ll)) });
        }
      }
      if (scored.length < set.subset.length) complete = false;
      metrics[`eval/${set.task}/n`] = scored.length;
      if (scored.length > 0) for (const [k, v] of Object.entries(aggregate(set.task, scored))) metrics[`eval/${set.task}/${k}`] = v;
      predictions.push({ step, task: set.task, synthetic: set.synthetic, predictions: rows });
    }
    return { metrics, predictions, ms: performance.now() - start, complete };
  }
}
