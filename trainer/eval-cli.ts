// `npm run eval -- --checkpoint <checkpoint.safetensors | step dir> --task hellaswag --data <file.jsonl | synthetic>
//   [--limit N] [--data-dir <dir>]`
// Scores a checkpoint on one benchmark and prints the metrics mid-training evaluation reports; with
// --limit N it scores the same seeded subset that a run with evalExamples N scores.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { EVAL_TASKS, SYNTHETIC } from "../lib/eval/contracts";
import { selectBackend } from "./backend";
import { fail, parseFlags } from "./cli-flags";
import { formatEvalMetrics } from "./eval/mid-training";
import { EvalSuite } from "./eval/run-evals";
import { checkpointDataDir, checkpointModel, readCheckpoint, readDatasetTokenizer } from "./generate";
import { readManifest } from "./pipeline/manifest";

const Flags = z.object({
  checkpoint: z.string({ error: "--checkpoint <checkpoint.safetensors or its step directory> is required" }).min(1),
  task: z.enum(EVAL_TASKS, { error: `--task is required: one of ${EVAL_TASKS.join(", ")}` }),
  data: z.string({ error: `--data <file.jsonl or ${SYNTHETIC}> is required` }).min(1),
  limit: z.coerce.number({ error: "--limit must be a number" }).int("--limit must be a whole number").min(1, "--limit must be at least 1").optional(),
  "data-dir": z.string().min(1).optional(),
});

const flags = parseFlags(
  { checkpoint: { type: "string" }, task: { type: "string" }, data: { type: "string" }, limit: { type: "string" }, "data-dir": { type: "string" } },
  Flags,
);

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
  const suite = await EvalSuite.prepare(
    { evals: [{ task: flags.task, file: data }], evalExamples: flags.limit ?? Number.MAX_SAFE_INTEGER, dataset },
    tokenizer,
    (msg) => console.error(msg),
  );
  const set = suite.sets[0] ?? fail(`no ${flags.task} examples to score`, 2);
  console.error(`${flags.task}: ${set.subset.length} of ${set.examples.length} examples from ${set.file}; checkpoint step ${state.step} on ${backend}`);
  const { params, cfg } = checkpointModel(state);
  const result = await suite.run(params, cfg, state.step);
  const n = result.metrics[`eval/${flags.task}/n`];
  console.log(formatEvalMetrics(result.metrics));
  for (const [key, value] of Object.entries(result.metrics)) console.log(`${key} ${value}`);
  console.log(`${n} examples in ${(result.ms / 1000).toFixed(2)} s (${(n / (result.ms / 1000)).toFixed(1)} examples/s)`);
  process.exit(0);
} catch (e) {
  fail((e as Error).message, 1);
}
