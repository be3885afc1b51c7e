/**
 * Synthetic benchmark sets built from a dataset's held-out (val) shards, so that a run on data with
 * no matching public benchmark still gets a comparable score. Each set is built once per dataset
 * from a fixed seed and cached beside the shards: every run on that dataset sees the same set.
 */
import fs from "node:fs";
import path from "node:path";
import type { EvalTask } from "../lib/eval/contracts";
import { makeSyntheticHellaswag, makeSyntheticLambada, toJsonl } from "../lib/eval/synthetic";
import { Rng } from "../lib/rng";
import { datasetsRoot, readShard, type DatasetManifest } from "./dataset";

/** Examples per synthetic set; runs draw their evalExamples subset from these. */
export const SYNTHETIC_COUNT = 1000;
const SYNTHETIC_SEED = 0x5e7;

const GENERATORS: Partial<Record<EvalTask, (docs: string[], rng: Rng, count: number) => object[]>> = {
  lambada: makeSyntheticLambada,
  hellaswag: makeSyntheticHellaswag,
};

export function syntheticSetFile(dataDir: string, datasetId: string, task: EvalTask): string {
  return path.join(datasetsRoot(dataDir), datasetId, "evalsets", `synthetic-${task}.jsonl`);
}

/** The val shards of every domain, decoded into documents (shards end each document with end-of-text). */
export function valDocuments(dataDir: string, manifest: DatasetManifest, decode: (ids: ArrayLike<number>) => string): string[] {
  const eot = manifest.tokenizer.eotId;
  const docs: string[] = [];
  for (const shard of manifest.shards.filter((s) => s.split === "val")) {
    const tokens = readShard(dataDir, manifest.id, shard.file);
    let start = 0;
    for (let i = 0; i <= tokens.length; i++) {
      if (i < tokens.length && tokens[i] !== eot) continue;
      if (i > start) docs.push(decode(tokens.subarray(start, i)));
      start = i + 1;
    }
  }
  return docs;
}

/** The held-out text cannot make a synthetic set: the run goes on without that benchmark. */
export class NoSyntheticSet extends Error {}

/** Path of the dataset's synthetic set for `task`, built and written (atomically) on first use. */
export function ensureSyntheticSet(
  dataDir: string,
  manifest: DatasetManifest,
  decode: (ids: ArrayLike<number>) => string,
  task: EvalTask,
  log: (msg: string) => void,
): string {
  const file = syntheticSetFile(dataDir, manifest.id, task);
  if (fs.existsSync(file)) return file;
  const generate = GENERATORS[task];
  if (!generate) throw new Error(`there is no synthetic ${task} set; register a ${task} file for this benchmark`);
  const examples = generate(valDocuments(dataDir, manifest, decode), new Rng(SYNTHETIC_SEED), SYNTHETIC_COUNT);
  if (examples.length === 0)
    throw new NoSyntheticSet(`dataset ${manifest.id} has too little held-out text to build a synthetic ${task} set; register a ${task} file instead`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Two runs may build the same set at once; each writes its own temporary file and the rename is atomic.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, toJsonl(examples));
  fs.renameSync(tmp, file);
  log(`built a synthetic ${task} set of ${examples.length} examples from the held-out data of ${manifest.id}`);
  return file;
}
