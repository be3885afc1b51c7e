// Puts a checkpoint's weights and optimizer state back into a live model, and finds a fork's parent.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { checkpointFile } from "../../formats/checkpoint";
import { datasetsRoot, TOKENIZER_FILE, type DatasetManifest } from "../../formats/dataset";
import type { HostTensor } from "../../formats/safetensors";
import type { Params } from "../model/model";
import { checkQkNormWeights } from "../model/stabilisers";
import type { NamedOptimizer, NamedTensor } from "../optimizers";
import { loadCheckpoint } from "./checkpoint";

/** Optimizer slots are stored beside the weights under this prefix. */
export const OPTIM_PREFIX = "optim.";

export function loadWeights(params: Params, tensors: Map<string, HostTensor>): void {
  checkQkNormWeights(tensors.keys(), params.keys());
  for (const [name, p] of params) {
    const saved = tensors.get(name);
    if (!saved) throw new Error(`checkpoint lacks parameter ${name}; was it written by a different model?`);
    if (!tf.util.arraysEqual(saved.shape, p.shape))
      throw new Error(`checkpoint parameter ${name} has shape [${saved.shape}], the model needs [${p.shape}]; the model config changed`);
    tf.tidy(() => p.assign(tf.tensor(saved.data, saved.shape)));
  }
}

export async function restore(params: Params, optim: NamedOptimizer, tensors: Map<string, HostTensor>, optimizerT: number): Promise<void> {
  const weights: NamedTensor[] = [{ name: "iter", tensor: tf.scalar(optimizerT, "int32") }];
  try {
    loadWeights(params, tensors);
    for (const [name, t] of tensors)
      if (name.startsWith(OPTIM_PREFIX)) weights.push({ name: name.slice(OPTIM_PREFIX.length), tensor: tf.tensor(t.data, t.shape) });
    await optim.setWeights(weights);
  } finally {
    tf.dispose(weights.map((w) => w.tensor));
  }
}

/** The checkpoint a fork starts from, checked to share this run's tokenizer. */
export function forkParent(from: { runId: string; step: number }, dataDir: string, manifest: DatasetManifest) {
  const file = checkpointFile(dataDir, from.runId, from.step);
  if (!fs.existsSync(file)) throw new Error(`run ${from.runId} has no checkpoint at step ${from.step} (${file})`);
  const parent = loadCheckpoint(file);
  if (parent.datasetId !== manifest.id && tokenizerHash(dataDir, parent.datasetId) !== tokenizerHash(dataDir, manifest.id))
    throw new Error(`the parent was trained on dataset ${parent.datasetId}, whose tokenizer differs from ${manifest.id}'s; fork onto the same dataset and change mixWeights instead`);
  return parent;
}

function tokenizerHash(dataDir: string, datasetId: string): string | null {
  const file = path.join(datasetsRoot(dataDir), datasetId, TOKENIZER_FILE);
  return fs.existsSync(file) ? crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex") : null;
}
