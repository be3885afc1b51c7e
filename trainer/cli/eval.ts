// `npm run eval -- --checkpoint <checkpoint.safetensors | step dir> --task hellaswag --data <file.jsonl | synthetic>
//   [--limit N] [--output samples.jsonl] [--data-dir <dir>]`
// Scores a checkpoint on one benchmark and prints the metrics mid-training evaluation reports; with
// --limit N it scores the same seeded subset that a run with evalExamples N scores. --output writes
// one EvalSample line per example, as lm-evaluation-harness's --log_samples does.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { readManifest } from "../../formats/dataset";
import { EVAL_TASKS, SYNTHETIC, type EvalSample } from "../../lib/eval/contracts";
import { selectBackend } from "../backend/backend";
import { formatEvalMetrics } from "../eval/mid-training";
import { EvalSuite } from "../eval/run-evals";
import { checkpointDataDir, checkpointModel, readCheckpoint, readDatasetTokenizer } from "../inference/generate";
import { fail, parseFlags } from "./flags";

const Flags = z.object({
  checkpoint: z.string({ error: "--checkpoint <checkpoint.safetensors or its step directory> is required" }).min(1),
  task: z.enum(EVAL_TASKS, { error: `--task is required: one of ${EVAL_TASKS.join(", ")}` }),
  data: z.string({ error: `--data <file.jsonl or ${SYNTHETIC}> is required` }).min(1),
  limit: z.coerce.number({ error: "--limit must be a number" }).int("--limit must be a whole number").min(1, "--limit must be at least 1").optional(),
  output: z.string().min(1, "--output needs a file name").optional(),
  "data-dir": z.string().min(1).optional(),
});

const flags = parseFlags(
  { checkpoint: { type: "string" }, task: { type: "string" }, data: { type: "string" }, limit: { type: "string" }, output: { type: "string" }, "data-dir": { type: "string" } },
  Flags,
);

const count = (n: number) => n.toLocaleString("en-US");

/** Where --output goes, checked before any scoring: its directory must exist, and it must not be a directory or the benchmark itself. */
function outputPath(file: string | undefined, data: string): string | null {
  if (file === undefined) return null;
  const out = path.resolve(file);
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) fail(`--output: ${out} is a directory; give a file name`, 2);
  const dir = path.dirname(out);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) fail(`--output: no directory ${dir}`, 2);
  if (out === data) fail(`--output: ${out} is the benchmark file itself`, 2);
  return out;
}

/** Which rows are scored, in words. */
function describeSubset(synthetic: boolean, subset: number[], rows: number): string {
  const first = subset.slice(0, 5).join(", ") + (subset.length > 5 ? ", …" : "");
  if (synthetic)
    return `the first ${count(subset.length)} rows that fit the model in a seeded order of all ${count(rows)} rows (the order starts ${first}; a synthetic set passes over rows that do not fit)`;
  if (subset.length === rows) return `all ${count(rows)} rows`;
  return `a seeded random subset of ${count(subset.length)} of ${count(rows)} rows, the one a run with evalExamples ${subset.length} scores (rows ${first}; every doc_id is in --output)`;
}

/** `60 the continuation is longer than the model's 64-token context` per reason, without the per-example detail in brackets. */
function reasons(samples: EvalSample[]): string {
  const byReason = new Map<string, number>();
  for (const s of samples) {
    if (!("skipped" in s)) continue;
    const reason = s.skipped.replace(/ \(.*\)$/, "");
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  }
  return [...byReason].map(([r, n]) => `${count(n)}: ${r}`).join("; ");
}

try {
  const backend = (await selectBackend("wasm")).name;
  const { file, state } = readCheckpoint(flags.checkpoint);
  if (state.config.objective === "mlm")
    fail(`checkpoint ${file} was trained as a masked LM (objective mlm); it does not predict the next token, so log-likelihood benchmarks cannot score it`, 2);
  const dataDir = checkpointDataDir(file, flags["data-dir"]);
  const tokenizer = readDatasetTokenizer(dataDir, state.datasetId, state.vocabSize);
  let data = flags.data;
  let dataset;
  if (data === SYNTHETIC) {
    const manifest = readManifest(dataDir, state.datasetId);
    if (!manifest) fail(`the checkpoint's dataset ${state.datasetId} is not prepared under ${dataDir}; pass --data-dir with the data directory it was trained from`, 2);
    dataset = { dataDir, manifest, decode: (ids: ArrayLike<number>) => tokenizer.decode(ids) };
  } else {
    data = path.resolve(data);
    if (!fs.existsSync(data) || !fs.statSync(data).isFile()) fail(`--data: no benchmark file at ${data}`, 2);
  }
  const output = outputPath(flags.output, data);
  const suite = await EvalSuite.prepare(
    { evals: [{ task: flags.task, file: data }], evalExamples: flags.limit ?? Number.MAX_SAFE_INTEGER, dataset },
    tokenizer,
    (msg) => console.error(msg),
  );
  const set = suite.sets[0] ?? fail(`no ${flags.task} examples to score`, 2);
  console.error(`${flags.task}: ${count(set.subset.length)} of ${count(set.examples.length)} examples from ${set.file}; checkpoint step ${state.step} on ${backend}`);
  console.log(`subset: ${describeSubset(set.synthetic, set.subset, set.examples.length)}`);
  const { params, cfg } = checkpointModel(state);
  const result = await suite.run(params, cfg, state.step, Infinity, undefined, { samples: true });
  const samples = result.samples!;
  const { scored, skipped } = result.tasks[0];
  console.log(formatEvalMetrics(result.metrics));
  for (const [key, value] of Object.entries(result.metrics)) console.log(`${key} ${value}`);
  console.log(`${scored} examples in ${(result.ms / 1000).toFixed(2)} s (${(scored / (result.ms / 1000)).toFixed(1)} examples/s)`);
  console.log(
    `skipped ${count(skipped)} (not scored, in no metric; the harness cannot score them whole)` + (skipped ? `: ${reasons(samples)}` : ""),
  );
  if (output) {
    const tmp = `${output}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, samples.map((s) => JSON.stringify(s) + "\n").join(""));
    fs.renameSync(tmp, output);
    console.log(`wrote ${count(samples.length)} samples to ${output}`);
  }
  process.exit(0);
} catch (e) {
  fail((e as Error).message, 1);
}
