/**
 * Requests and scores of lm-evaluation-harness's lambada_openai, hellaswag, piqa and arc_easy
 * (zero-shot), so numbers from this dashboard are comparable with the harness's.
 */
import type { EvalTask } from "./contracts";
import { capitalize, preprocess, pyLen } from "./preprocess";

export interface LambadaDoc {
  text: string;
}

export interface HellaswagDoc {
  ind?: number;
  activity_label: string;
  ctx_a: string;
  ctx_b: string;
  /** Exactly four, raw (preprocess is applied when requests are built). */
  endings: string[];
  label: number;
}

export interface PiqaDoc {
  goal: string;
  sol1: string;
  sol2: string;
  label: number;
}

export interface ArcDoc {
  id?: string;
  question: string;
  choices: { text: string; label: string }[];
  answerKey: string;
}

export interface TaskDocs {
  lambada: LambadaDoc;
  hellaswag: HellaswagDoc;
  piqa: PiqaDoc;
  arc_easy: ArcDoc;
}
export type Example<T extends EvalTask = EvalTask> = TaskDocs[T];

/** One loglikelihood request: score `continuation` after `context`. */
export interface LoglikRequest {
  context: string;
  continuation: string;
}

export interface LoglikResult {
  ll: number;
  isGreedy: boolean;
}

export interface ScoredExample {
  /** Chosen answer index, or 1/0 for LAMBADA's is_greedy. */
  prediction: number;
  /** Gold answer index, or 1 for LAMBADA. */
  gold: number;
  correct: boolean;
  /** Per-example values that aggregate() averages: acc, acc_norm; LAMBADA: acc, ll. */
  metrics: Record<string, number>;
}

export interface TaskDef<D> {
  /** What aggregate() reports. */
  metrics: readonly string[];
  buildRequests(doc: D): LoglikRequest[];
  gold(doc: D): number;
  score(doc: D, results: LoglikResult[]): ScoredExample;
}

/** numpy.argmax: the first maximum; a NaN counts as the maximum (its first occurrence wins). */
export function argmax(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("argmax of an empty array");
  let best = 0;
  for (let i = 0; i < xs.length; i++) {
    if (Number.isNaN(xs[i])) return i;
    if (xs[i] > xs[best]) best = i;
  }
  return best;
}

function checkCount(task: string, results: LoglikResult[], n: number): void {
  if (results.length !== n) throw new Error(`${task}: expected ${n} results (one per request), got ${results.length}`);
}

/**
 * A multiple-choice task: each choice is scored as " " + choice (the harness's default
 * target_delimiter). acc_norm divides by the choice's length in characters without that space, as
 * the harness's completion_len does (an empty choice gives -Infinity or NaN, as numpy would).
 */
function multipleChoice<D>(
  name: string,
  spec: { context(doc: D): string; choices(doc: D): string[]; gold(doc: D): number },
): TaskDef<D> {
  return {
    metrics: ["acc", "acc_norm"],
    buildRequests(doc) {
      const context = spec.context(doc);
      return spec.choices(doc).map((c) => ({ context, continuation: " " + c }));
    },
    gold: spec.gold,
    score(doc, results) {
      const choices = spec.choices(doc);
      checkCount(name, results, choices.length);
      const lls = results.map((r) => r.ll);
      const gold = spec.gold(doc);
      const prediction = argmax(lls);
      const norm = argmax(lls.map((ll, i) => ll / pyLen(choices[i])));
      return {
        prediction,
        gold,
        correct: prediction === gold,
        metrics: { acc: prediction === gold ? 1 : 0, acc_norm: norm === gold ? 1 : 0 },
      };
    },
  };
}

/** lambada_openai: Python's text.split(' '), so runs of spaces give empty words, as in the harness. */
export function splitLambada(text: string): LoglikRequest {
  const words = text.split(" ");
  return { context: words.slice(0, -1).join(" "), continuation: " " + words[words.length - 1] };
}

const lambada: TaskDef<LambadaDoc> = {
  metrics: ["acc", "perplexity"],
  buildRequests: (doc) => [splitLambada(doc.text)],
  gold: () => 1,
  score(_doc, results) {
    checkCount("lambada", results, 1);
    const { ll, isGreedy } = results[0];
    return { prediction: isGreedy ? 1 : 0, gold: 1, correct: isGreedy, metrics: { acc: isGreedy ? 1 : 0, ll } };
  },
};

export function hellaswagQuery(doc: HellaswagDoc): string {
  return preprocess(doc.activity_label + ": " + doc.ctx_a + " " + capitalize(doc.ctx_b));
}

const hellaswag = multipleChoice<HellaswagDoc>("hellaswag", {
  context: hellaswagQuery,
  choices: (doc) => doc.endings.map(preprocess),
  gold: (doc) => doc.label,
});

const piqa = multipleChoice<PiqaDoc>("piqa", {
  context: (doc) => "Question: " + doc.goal + "\nAnswer:",
  choices: (doc) => [doc.sol1, doc.sol2],
  gold: (doc) => doc.label,
});

/** choices.label.index(answerKey): the first matching label. */
export function arcGold(doc: ArcDoc): number {
  const i = doc.choices.findIndex((c) => c.label === doc.answerKey);
  if (i < 0)
    throw new Error(`answerKey ${JSON.stringify(doc.answerKey)} is not among the choice labels ${doc.choices.map((c) => c.label).join(", ")}`);
  return i;
}

const arcEasy = multipleChoice<ArcDoc>("arc_easy", {
  context: (doc) => "Question: " + doc.question + "\nAnswer:",
  choices: (doc) => doc.choices.map((c) => c.text),
  gold: arcGold,
});

export const TASKS: { [T in EvalTask]: TaskDef<TaskDocs[T]> } = { lambada, hellaswag, piqa, arc_easy: arcEasy };

function def<T extends EvalTask>(task: T): TaskDef<TaskDocs[T]> {
  const d = TASKS[task];
  if (!d) throw new Error(`unknown eval task ${JSON.stringify(task)}`);
  return d;
}

export function buildRequests<T extends EvalTask>(task: T, example: TaskDocs[T]): LoglikRequest[] {
  return def(task).buildRequests(example);
}

export function gold<T extends EvalTask>(task: T, example: TaskDocs[T]): number {
  return def(task).gold(example);
}

/** Scores one example from its requests' results, given in buildRequests' order. */
export function scoreExample<T extends EvalTask>(task: T, example: TaskDocs[T], results: LoglikResult[]): ScoredExample {
  return def(task).score(example, results);
}

function mean(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * The harness's aggregations: mean of acc (and acc_norm); LAMBADA's perplexity is
 * exp(-mean of per-document ll), a per-document, not per-token, perplexity.
 */
export function aggregate(task: EvalTask, perExample: ScoredExample[]): Record<string, number> {
  if (perExample.length === 0) throw new Error(`${task}: no examples to aggregate`);
  const col = (k: string) =>
    perExample.map((e, i) => {
      const v = e.metrics[k];
      if (typeof v !== "number") throw new Error(`${task}: example ${i} has no metric ${k}`);
      return v;
    });
  if (task === "lambada") return { acc: mean(col("acc")), perplexity: Math.exp(-mean(col("ll"))) };
  return Object.fromEntries(def(task).metrics.map((m) => [m, mean(col(m))]));
}
