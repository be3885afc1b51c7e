/**
 * Exports a training checkpoint for use outside this project: the model weights alone as
 * model.safetensors (F32, the trainer's parameter names), a config.json, and the dataset's
 * tokenizer.json. See README "Exported checkpoints".
 */
import fs from "node:fs";
import path from "node:path";
import type { ExportResult } from "../lib/generation";
import { writeDirAtomic } from "./atomic-dir";
import { encodeSafetensors, loadCheckpoint, type TrainState } from "./checkpoint";
import { dataDirOf, datasetFiles, resolveCheckpointFile } from "./checkpoint-locate";
import { modelTensors } from "./checkpoint-weights";
import { TOKENIZER_FILE } from "./pipeline/manifest";

export const EXPORT_FORMAT = "pretrain-dashboard/export";
export const EXPORT_FORMAT_VERSION = 1;
export const WEIGHTS_FILE = "model.safetensors";
export const CONFIG_FILE = "config.json";
export const EXPORT_DIR = "export";

export interface ExportOptions {
  /** checkpoint.safetensors or its step-NNNNNN directory. */
  checkpoint: string;
  /** Default: an `export` directory beside the checkpoint file. */
  outDir?: string;
  /** Where the dataset lives; default: the data directory the checkpoint sits in, else $DATA_DIR or ./data. */
  dataDir?: string;
}

const GPT2_NOTES = {
  embeddings: "wte [vocab_size, d_model] is the token embedding and, tied, the LM head: logits = ln_f(x) @ wte.T. wpe [context_length, d_model] holds learned positions.",
  blocks: "Pre-norm: x += attn.c_proj(attention(ln_1(x))); x += mlp.c_proj(gelu_tanh(mlp.c_fc(ln_2(x)))). *.g and *.b are LayerNorm weight and bias (eps 1e-5).",
  attention: "attn.c_attn.w's columns are [q | k | v], d_model each; head h is columns h*d_model/n_head onward within each; causal softmax(q k^T / sqrt(head width)) v.",
  huggingface: "Same layout as Hugging Face GPT2LMHeadModel: prefix names with 'transformer.', rename .g/.w to .weight and .b to .bias; its Conv1D stores [in, out], so no transpose.",
};

export function exportConfig(state: TrainState, eotId: number | null, hasTokenizer: boolean) {
  const c = state.config;
  return {
    format: EXPORT_FORMAT,
    format_version: EXPORT_FORMAT_VERSION,
    architecture: c.arch,
    objective: c.objective,
    n_layer: c.nLayer,
    n_head: c.nHead,
    d_model: c.dModel,
    context_length: c.contextLength,
    vocab_size: state.vocabSize,
    tie_word_embeddings: true,
    eot_token_id: eotId,
    dtype: "float32",
    tokenizer: hasTokenizer ? TOKENIZER_FILE : null,
    step: state.step,
    dataset_id: state.datasetId,
    layout: {
      weights: "Every 2-D tensor except the embedding tables (wte, wpe) is a linear weight W stored [in, out] and applied as y = x @ W (+ b).",
      pytorch: "torch.nn.Linear keeps its weight as [out, in]: load W.T (linear.weight.data = W.T.contiguous()).",
      ...(c.arch === "gpt2" ? GPT2_NOTES : {}),
    },
    run_config: c,
  };
}

/** Only an empty directory or an earlier export may be replaced. */
function isEarlierExport(dir: string): boolean {
  if (!fs.statSync(dir).isDirectory()) return false;
  if (fs.readdirSync(dir).length === 0) return true;
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, CONFIG_FILE), "utf8")).format === EXPORT_FORMAT;
  } catch {
    return false;
  }
}

export function exportCheckpoint(opts: ExportOptions): ExportResult {
  const file = resolveCheckpointFile(opts.checkpoint);
  let state: TrainState;
  try {
    state = loadCheckpoint(file);
  } catch (e) {
    throw new Error(`cannot read checkpoint ${file}: ${(e as Error).message}`, { cause: e });
  }
  const dataDir = path.resolve(opts.dataDir ?? dataDirOf(file) ?? process.env.DATA_DIR ?? "./data");
  const { manifest, tokenizerFile } = datasetFiles(dataDir, state.datasetId);
  const weights = encodeSafetensors(modelTensors(state.tensors), { format: "pt" });
  const config = exportConfig(state, manifest?.tokenizer.eotId ?? null, tokenizerFile !== null);
  const files: [string, Uint8Array][] = [
    [WEIGHTS_FILE, weights],
    [CONFIG_FILE, Buffer.from(JSON.stringify(config, null, 2) + "\n")],
  ];
  if (tokenizerFile) files.push([TOKENIZER_FILE, fs.readFileSync(tokenizerFile)]);
  const outDir = path.resolve(opts.outDir ?? path.join(path.dirname(file), EXPORT_DIR));
  writeDirAtomic(outDir, files, isEarlierExport);
  return { outDir, step: state.step, files: files.map(([name, content]) => ({ name, bytes: content.byteLength })) };
}
