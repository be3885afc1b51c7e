import { TRPCError } from "@trpc/server";
import type { EvalTask } from "../../../lib/eval/contracts";
import { buildRequests, gold, type Example } from "../../../lib/eval/tasks";
import type { CompareGenerateRequest } from "../../../lib/generation";
import type { Db } from "../../db/db";
import type { GenerateService } from "../cli/generate";
import type { EvalService } from "../evals/evals";
import { toSummary } from "../hub/run-summary";

export interface CheckpointRef {
  runId: string;
  step: number;
}

/** Which way is an improvement; null for counts. */
type Better = "higher" | "lower" | null;

/** One metric across the compared checkpoints; deltas are against the first (the baseline). */
export interface ScoreRow {
  key: string;
  better: Better;
  values: (number | null)[];
  /** The step each value was logged at (losses may come from just before the checkpoint). */
  steps: (number | null)[];
  deltas: (number | null)[];
}

const direction = (key: string): Better =>
  key === "loss" || key === "val_loss" || key.endsWith("/perplexity") ? "lower" : key.endsWith("/n") ? null : "higher";

/** Checkpoints side by side: scores at their steps, text from each, and which benchmark examples changed. */
export class CheckpointCompareService {
  constructor(
    private db: Db,
    private evals: EvalService,
    private generator: GenerateService,
  ) {}

  async summary(refs: CheckpointRef[]) {
    const found = await allInOrder(refs.map((r) => this.resolve(r)));
    const perCheckpoint = await Promise.all(found.map(({ run, checkpoint }) => this.scores(run.id, checkpoint.step)));
    const evalKeys = [...new Set(perCheckpoint.flatMap((p) => [...p.evals.keys()]))].sort();
    const row = (key: string, get: (i: number) => { step: number; value: number | null } | undefined): ScoreRow => {
      const points = found.map((_, i) => get(i));
      const values = points.map((p) => p?.value ?? null);
      const deltas = values.map((v, i) => (i === 0 || v === null || values[0] === null ? null : v - values[0]));
      return { key, better: direction(key), values, steps: points.map((p) => p?.step ?? null), deltas };
    };
    return {
      checkpoints: found.map(({ run, checkpoint }, i) => ({
        runId: run.id, step: checkpoint.step, runName: run.name, status: run.status, totalSteps: run.totalSteps, config: run.config,
        createdAt: checkpoint.createdAt.toISOString(),
        synthetic: run.config.evals.filter((e) => e.file === "synthetic").map((e) => e.task),
        predictionTasks: perCheckpoint[i].predictionTasks,
      })),
      losses: [row("loss", (i) => perCheckpoint[i].trainLoss), row("val_loss", (i) => perCheckpoint[i].valLoss)],
      evals: evalKeys.map((key) => row(key, (i) => perCheckpoint[i].evals.get(key))),
    };
  }

  /** Runs every checkpoint in turn, each in one child process for all prompts, all with the same seed. */
  async generate(req: CompareGenerateRequest) {
    await allInOrder(req.checkpoints.map((c) => this.resolve(c)));
    const seed = req.seed ?? Math.floor(Math.random() * 2 ** 31);
    const { temperature, topK, maxTokens } = req;
    const columns = [];
    for (const ref of req.checkpoints) {
      const { results, loadMs } = await this.generator.generateBatch(ref, req.prompts, { temperature, topK, maxTokens, seed });
      columns.push({ runId: ref.runId, step: ref.step, loadMs, results });
    }
    return { seed, prompts: req.prompts, columns };
  }

  /**
   * Examples of `task` scored at both checkpoints, grouped by what changed from a to b, with their
   * text. The counts cover every example both scored; the lists stop at `limit` each.
   */
  async exampleDiff(input: { a: CheckpointRef; b: CheckpointRef; task: EvalTask; limit: number }) {
    const [A, B] = await allInOrder([this.resolve(input.a), this.resolve(input.b)]);
    const [pa, pb] = await allInOrder([A, B].map(async ({ run, checkpoint }) => {
      const rows = await this.evals.predictions(run.id, input.task, checkpoint.step);
      if (rows.length === 0) {
        const tasks = await this.predictionTasks(run.id, checkpoint.step);
        throw new TRPCError({
          code: "NOT_FOUND",
          message: `${run.name} has no stored ${input.task} predictions at step ${checkpoint.step}; ${tasks.length ? `it has ${tasks.join(", ")}` : "it has none at that step"}`,
        });
      }
      return new Map(rows.map((r) => [r.index, r]));
    }));
    const setA = this.evals.exampleSet(A.run.config, A.run.id, A.checkpoint.path, input.task);
    const setB = A.run.id === B.run.id ? setA : this.evals.exampleSet(B.run.config, B.run.id, B.checkpoint.path, input.task);
    if (setA.key && setB.key && setA.key !== setB.key)
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `${A.run.name} and ${B.run.name} scored ${input.task} on different example sets (${setA.file || setA.key} and ${setB.file || setB.key}), so their examples cannot be matched`,
      });

    const counts = { total: 0, bothRight: 0, bothWrong: 0, fixed: 0, broken: 0, onlyOne: 0 };
    const fixed: number[] = [];
    const broken: number[] = [];
    for (const index of [...new Set([...pa.keys(), ...pb.keys()])].sort((x, y) => x - y)) {
      const a = pa.get(index);
      const b = pb.get(index);
      if (!a || !b) {
        counts.onlyOne++;
        continue;
      }
      counts.total++;
      if (a.correct && b.correct) counts.bothRight++;
      else if (!a.correct && !b.correct) counts.bothWrong++;
      else if (b.correct) (counts.fixed++, fixed.push(index));
      else (counts.broken++, broken.push(index));
    }
    const set = "examples" in setA ? setA : setB;
    const examples = "examples" in set ? set.examples : null;
    const item = (index: number) => {
      const a = pa.get(index)!;
      const b = pb.get(index)!;
      const text = examples ? exampleText(input.task, examples[index], a.gold) : null;
      return {
        index, gold: a.gold,
        a: { prediction: a.prediction, correct: a.correct, ll: a.ll },
        b: { prediction: b.prediction, correct: b.correct, ll: b.ll },
        text: text?.text ?? null,
        note: "missing" in set ? `Text unavailable: ${set.missing}.` : (text?.note ?? null),
      };
    };
    return {
      task: input.task,
      /** lambada scores one target word (prediction 1 = greedy decoding reproduces it); the others pick one of several choices. */
      kind: input.task === "lambada" ? ("target" as const) : ("choice" as const),
      synthetic: pa.values().next().value!.synthetic,
      file: set.file,
      counts,
      fixed: fixed.slice(0, input.limit).map(item),
      broken: broken.slice(0, input.limit).map(item),
    };
  }

  private async scores(runId: string, step: number) {
    const [evalRows, trainLoss, valLoss, predictionTasks] = await Promise.all([
      this.db.metric.findMany({ where: { runId, step, key: { startsWith: "eval/" } }, select: { key: true, step: true, value: true } }),
      this.latest(runId, "loss", step),
      this.latest(runId, "val_loss", step),
      this.predictionTasks(runId, step),
    ]);
    return { evals: new Map(evalRows.map((r) => [r.key, r])), trainLoss, valLoss, predictionTasks };
  }

  /** The point logged at `step`, else the nearest before it. */
  private async latest(runId: string, key: string, step: number) {
    const row = await this.db.metric.findFirst({ where: { runId, key, step: { lte: step } }, orderBy: { step: "desc" }, select: { step: true, value: true } });
    return row ?? undefined;
  }

  private async predictionTasks(runId: string, step: number) {
    const rows = await this.db.evalPrediction.findMany({ where: { runId, step }, distinct: ["task"], select: { task: true }, orderBy: { task: "asc" } });
    return rows.map((r) => r.task as EvalTask);
  }

  /** The run and its checkpoint row; unlike generation, scores need no checkpoint file on disk. */
  private async resolve(ref: CheckpointRef) {
    const run = await this.db.run.findUnique({ where: { id: ref.runId } });
    if (!run) throw new TRPCError({ code: "NOT_FOUND", message: `No run with id ${ref.runId}` });
    const checkpoint = await this.db.checkpoint.findUnique({ where: { runId_step: { runId: ref.runId, step: ref.step } } });
    if (!checkpoint) {
      const steps = (await this.db.checkpoint.findMany({ where: { runId: ref.runId }, orderBy: { step: "asc" }, select: { step: true } })).map((c) => c.step);
      throw new TRPCError({
        code: "NOT_FOUND",
        message: `Run ${run.name} (${run.id}) has no checkpoint at step ${ref.step}; ${steps.length ? `it has steps ${steps.join(", ")}` : "it has none yet"}`,
      });
    }
    return { run: toSummary(run), checkpoint };
  }
}

/** What the model was shown: the shared context and each scored continuation (lambada: its one target word). */
function exampleText(task: EvalTask, example: Example | undefined, storedGold: number) {
  if (!example) return { text: null, note: "This example is no longer in the set: the file has fewer examples than when it was scored." };
  const requests = buildRequests(task, example as never);
  const text = { context: requests[0].context, choices: requests.map((r) => r.continuation) };
  const note = gold(task, example as never) !== storedGold ? "The set's answer differs from the one scored: the file may have changed since." : null;
  return { text, note };
}

/**
 * Promise.all whose error is that of the first failing promise in list order, not the first to fail
 * in time: with two bad checkpoints the message always names the first, on any database.
 */
async function allInOrder<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  return settled.map((s) => {
    if (s.status === "rejected") throw s.reason;
    return s.value;
  });
}
