// Finds a checkpoint file from what a person types, and the dataset files that belong with it.
import fs from "node:fs";
import path from "node:path";
import { CHECKPOINT_FILE } from "./checkpoint";
import { datasetsRoot, readManifest, TOKENIZER_FILE, type DatasetManifest } from "./pipeline/manifest";

/** Accepts checkpoint.safetensors itself or the step-NNNNNN directory that holds it. */
export function resolveCheckpointFile(p: string): string {
  const abs = path.resolve(p);
  if (!fs.existsSync(abs)) throw new Error(`no checkpoint at ${abs}: the path does not exist`);
  const file = fs.statSync(abs).isDirectory() ? path.join(abs, CHECKPOINT_FILE) : abs;
  if (!fs.existsSync(file))
    throw new Error(`no checkpoint at ${abs}: expected ${CHECKPOINT_FILE} or a checkpoints/step-NNNNNN directory holding one`);
  return file;
}

/**
 * The data directory a checkpoint lives in (<dataDir>/runs/<id>/checkpoints/step-N/file), so a
 * checkpoint under the dashboard's data finds its dataset without --data-dir.
 */
export function dataDirOf(checkpointFile: string): string | null {
  const stepDir = path.dirname(checkpointFile);
  const checkpoints = path.dirname(stepDir);
  const runs = path.dirname(path.dirname(checkpoints));
  const ok = /^step-\d+$/.test(path.basename(stepDir)) && path.basename(checkpoints) === "checkpoints" && path.basename(runs) === "runs";
  return ok ? path.dirname(runs) : null;
}

export interface DatasetFiles {
  manifest: DatasetManifest | null;
  /** The dataset's tokenizer.json, or null when the dataset is not there or has none. */
  tokenizerFile: string | null;
}

export function datasetFiles(dataDir: string, datasetId: string): DatasetFiles {
  if (!/^ds-[0-9a-f]{16}$/.test(datasetId)) return { manifest: null, tokenizerFile: null }; // never a path outside datasets/
  const manifest = readManifest(dataDir, datasetId);
  const file = path.join(datasetsRoot(dataDir), datasetId, manifest?.tokenizer.file ?? TOKENIZER_FILE);
  return { manifest, tokenizerFile: fs.existsSync(file) ? file : null };
}
