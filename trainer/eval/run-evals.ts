/**
 * The benchmarks of one run: each task's examples loaded once, a fixed seeded subset picked, and
 * scored on demand (mid-training, or by the eval CLI) within a time budget.
 */
import type { DatasetManifest } from "../../formats/dataset";
import { ensureSyntheticSet, NoSyntheticSet } from "../../formats/eval-sets";
import { SYNTHETIC, type EvalPredictions, type EvalSample, type EvalSource, type EvalTask } from "../../lib/eval/contracts";
import { readTaskFile } from "../../lib/eval/read-file";
import { aggregate, buildRequests, gold, scoreExample, type Example, type LoglikRequest, type ScoredExample } from "../../lib/eval/tasks";
import { Rng } from "../../lib/rng";
import type { ModelConfig, Params } from "../model/model";
import { isUnscorable, prepareRequests, scorePrepared, type Encoder, type Prepared } from "./loglik";

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
  /**
   * Where examples are drawn from: the subset for a benchmark file; for a synthetic set, which is
   * ours and not the harness's, the whole seeded order (of which the subset is the start), so that
   * examples that do not fit the model are passed over (and counted) for the next ones.
   */
  order: number[];
}

export interface TaskReport {
  task: EvalTask;
  /** Examples scored. */
  scored: number;
  /** Examples of the subset the harness could not score whole (a continuation longer than the model's context, ...); not in any metric. */
  skipped: number;
  /** The subset's size, and the examples in the file. */
  subset: number;
  examples: number;
}

export interface SuiteResult {
  /**
   * `eval/<task>/<metric>` → value, with `eval/<task>/n` the examples scored and
   * `eval/<task>/skipped` the examples skipped (only when some were).
   */
  metrics: Record<string, number>;
  tasks: TaskReport[];
  predictions: EvalPredictions[];
  ms: number;
  /** Every task went through its whole subset. */
  complete: boolean;
  /** Per-example records, when run was asked for them. */
  samples?: EvalSample[];
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

const sampleOf = (task: EvalTask, index: number, requests: LoglikRequest[]) => ({
  task,
  doc_id: index,
  context: requests[0].context,
  choices: requests.map((r) => r.continuation),
});

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
      const subset = seededSubset(examples.length, sources.evalExamples);
      sets.push({ task, synthetic, file: path, examples, subset, order: synthetic ? seededSubset(examples.length, examples.length) : subset });
    }
    return new EvalSuite(sets, tokenizer);
  }

  /**
   * Scores each task's subset in order until the task's share of the budget is spent: the time
   * left is split evenly over the tasks not yet run, so a task that finishes early leaves its time
   * to the next. Time is checked between batches of whole examples, and every task scores at
   * least one batch, so a round may overrun by about one batch per task. An example with any
   * request the harness cannot score is skipped whole and counted.
   */
  async run(
    params: Params,
    cfg: ModelConfig,
    step: number,
    timeBudgetMs = Infinity,
    batchSize = EVAL_BATCH,
    opts: { samples?: boolean } = {},
  ): Promise<SuiteResult> {
    const start = performance.now();
    const metrics: Record<string, number> = {};
    const predictions: EvalPredictions[] = [];
    const tasks: TaskReport[] = [];
    const samples: EvalSample[] | undefined = opts.samples ? [] : undefined;
    let complete = true;
    for (const [t, set] of this.sets.entries()) {
      const taskStart = performance.now();
      const share = (timeBudgetMs - (taskStart - start)) / (this.sets.length - t);
      const scored: ScoredExample[] = [];
      const rows: EvalPredictions["predictions"] = [];
      let skipped = 0;
      let next = 0;
      const { order } = set;
      const want = set.subset.length;
      while (next < order.length && scored.length < want && (next === 0 || performance.now() - taskStart < share)) {
        const chunk: { index: number; prepared: Prepared[] }[] = [];
        let count = 0;
        while (next < order.length && count < batchSize && scored.length + chunk.length < want) {
          const index = order[next++];
          const example = set.examples[index];
          const requests = buildRequests(set.task, example);
          const prepared = prepareRequests(this.tokenizer, cfg.contextLength, requests);
          const why = prepared.find(isUnscorable);
          if (why) {
            skipped++;
            samples?.push({ ...sampleOf(set.task, index, requests), gold: gold(set.task, example), skipped: why.skipped });
            continue;
          }
          chunk.push({ index, prepared: prepared as Prepared[] });
          count += requests.length;
        }
        if (chunk.length === 0) continue;
        const results = await scorePrepared(params, cfg, chunk.flatMap((c) => c.prepared), { batchSize, pad: this.tokenizer.eotId });
        let at = 0;
        for (const { index, prepared } of chunk) {
          const own = results.slice(at, (at += prepared.length));
          const example = set.examples[index];
          const s = scoreExample(set.task, example, own);
          const ll = own.map((r) => finiteOrNull(r.ll));
          scored.push(s);
          rows.push({ index, prediction: s.prediction, gold: s.gold, correct: s.correct, ll });
          if (samples) {
            const greedy = set.task === "lambada" ? { is_greedy: own.map((r) => r.isGreedy) } : {};
            const { prediction, correct, metrics: values } = s;
            samples.push({ ...sampleOf(set.task, index, buildRequests(set.task, example)), gold: s.gold, ll, ...greedy, prediction, correct, metrics: values });
          }
        }
      }
      if (scored.length < want && next < order.length) complete = false;
      metrics[`eval/${set.task}/n`] = scored.length;
      if (skipped > 0) metrics[`eval/${set.task}/skipped`] = skipped;
      if (scored.length > 0) for (const [k, v] of Object.entries(aggregate(set.task, scored))) metrics[`eval/${set.task}/${k}`] = v;
      predictions.push({ step, task: set.task, synthetic: set.synthetic, predictions: rows });
      tasks.push({ task: set.task, scored: scored.length, skipped, subset: set.subset.length, examples: set.examples.length });
    }
    return { metrics, tasks, predictions, ms: performance.now() - start, complete, ...(samples ? { samples } : {}) };
  }
}
