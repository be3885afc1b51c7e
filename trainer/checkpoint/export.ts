/**
 * Exports a training checkpoint for use outside this project: the model weights alone as
 * model.safetensors (F32, the trainer's parameter names), a config.json, and the dataset's
 * tokenizer.json. See README "Exported checkpoints".
 */
import fs from "node:fs";
import path from "node:path";
import { dataDirOf, resolveCheckpointFile } from "../../formats/checkpoint";
import { datasetFiles, TOKENIZER_FILE } from "../../formats/dataset";
import { encodeSafetensors } from "../../formats/safetensors";
import { swigluHidden } from "../../lib/estimates";
import type { ExportResult } from "../../lib/generation";
import { writeDirAtomic } from "./atomic-dir";
import { loadCheckpoint, type TrainState } from "./checkpoint";
import { modelTensors } from "./weights";

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

// The numbers below restate trainer/model/layers.ts and trainer/model/attention.ts; tests/python/forward.py
// rebuilds the model from config.json alone and must reproduce the trainer's logits, so a
// change there that is not made here fails that test.
const NORM_EPS = 1e-5;
const ROPE_THETA = 10000;

const GPT2_NOTES = {
  embeddings: "wte [vocab_size, d_model] is the token embedding and, tied, the LM head: logits = ln_f(x) @ wte.T. wpe [context_length, d_model] holds learned positions, position 0 first: x = wte[ids] + wpe[0..T-1].",
  blocks: "Pre-norm: x += attn.c_proj(attention(ln_1(x))); x += mlp.c_proj(gelu_tanh(mlp.c_fc(ln_2(x)))); then ln_f. Every linear has a bias (.b).",
  norm: "LayerNorm over the last axis: (x - mean) / sqrt(var + norm_eps) * g + b, biased variance (mean of squared deviations), norm_eps 1e-5.",
  gelu: "gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), GPT-2's tanh form, not the erf GELU.",
  attention: "attn.c_attn.w's columns are [q | k | v], d_model each; head h uses columns h*head_dim .. (h+1)*head_dim - 1 within each. Causal softmax(q k^T / sqrt(head_dim)) v per head, heads concatenated in order, then attn.c_proj.",
  tensors: "wte, wpe; per block h.<l>.: ln_1.g, ln_1.b, attn.c_attn.w [d, 3d], attn.c_attn.b [3d], attn.c_proj.w, attn.c_proj.b, ln_2.g, ln_2.b, mlp.c_fc.w [d, 4d], mlp.c_fc.b, mlp.c_proj.w [4d, d], mlp.c_proj.b; ln_f.g, ln_f.b.",
  huggingface: "Same layout as Hugging Face GPT2LMHeadModel: prefix names with 'transformer.', rename .g/.w to .weight and .b to .bias; its Conv1D stores [in, out], so no transpose.",
};

const LLAMA_NOTES = {
  embeddings: "wte [vocab_size, d_model] is the token embedding and, tied, the LM head: logits = norm_f(x) @ wte.T. No position table: positions enter through rotary q and k only.",
  blocks: "Pre-norm: x += attn.wo(attention(attn_norm(x))); x += mlp(mlp_norm(x)); then norm_f. No biases anywhere.",
  norm: "RMSNorm over the last axis: x / sqrt(mean(x^2) + norm_eps) * g, no centring and no bias, norm_eps 1e-5.",
  mlp: "SwiGLU: mlp.w2(silu(x @ mlp.w1) * (x @ mlp.w3)), silu(a) = a * sigmoid(a); w1 and w3 [d_model, intermediate_size], w2 [intermediate_size, d_model], intermediate_size = 8 * ceil(d_model / 3).",
  attention: "q = x @ attn.wq, k = x @ attn.wk, v = x @ attn.wv, each [d_model, d_model]: head h is columns h*head_dim .. (h+1)*head_dim - 1 (n_kv_head = n_head, no grouping). Rotary on q and k per head, then causal softmax(q k^T / sqrt(head_dim)) v, heads concatenated in order, then attn.wo.",
  rope: "Rotate-half rotary (GPT-NeoX / Hugging Face Llama pairing, not Meta's interleaved pairs): within a head, dimension i pairs with i + head_dim/2 for i < head_dim/2, at angle pos * rope_theta^(-2i/head_dim); positions start at 0. y = x * cos + rotate_half(x) * sin with rotate_half([x1, x2]) = [-x2, x1].",
  tensors: "wte; per block h.<l>.: attn_norm.g, attn.wq, attn.wk, attn.wv, attn.wo, mlp_norm.g, mlp.w1, mlp.w3, mlp.w2; norm_f.g.",
  huggingface: "LlamaForCausalLM: model.embed_tokens = wte, layers.<l>.input_layernorm = attn_norm.g, self_attn.{q,k,v,o}_proj = attn.w{q,k,v,o}.T, post_attention_layernorm = mlp_norm.g, mlp.gate_proj = w1.T, up_proj = w3.T, down_proj = w2.T, model.norm = norm_f.g, lm_head tied; q/k need no permutation (already rotate-half).",
};

/** The hyperparameters that rebuild the forward pass, beside the prose notes in `layout`. */
function architectureParams(c: TrainState["config"]) {
  const headDim = c.dModel / c.nHead;
  const common = { head_dim: headDim, n_kv_head: c.nHead, norm_eps: NORM_EPS, block_order: "pre-norm", attention: "causal" };
  if (c.arch === "llama")
    return { ...common, norm: "rmsnorm", bias: false, mlp: "swiglu", intermediate_size: swigluHidden(c.dModel), positions: "rotary", rope_theta: ROPE_THETA, rope_pairing: "rotate_half", rope_dims: headDim, position_offset: 0 };
  return { ...common, norm: "layernorm", bias: true, mlp: "gelu_tanh", intermediate_size: 4 * c.dModel, positions: "learned", position_offset: 0 };
}

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
    // Always false and null: exportCheckpoint refuses runs that use them (unsupportedStabilisers).
    qk_norm: c.qkNorm ?? false,
    logit_soft_cap: c.logitSoftCap ?? null,
    attn_soft_cap: c.attnSoftCap ?? null,
    ...architectureParams(c),
    eot_token_id: eotId,
    dtype: "float32",
    tokenizer: hasTokenizer ? TOKENIZER_FILE : null,
    step: state.step,
    dataset_id: state.datasetId,
    layout: {
      weights: "Every 2-D tensor except the embedding tables (wte, wpe) is a linear weight W stored [in, out] and applied as y = x @ W (+ b).",
      pytorch: "torch.nn.Linear keeps its weight as [out, in]: load W.T (linear.weight.data = W.T.contiguous()).",
      ...(c.arch === "llama" ? LLAMA_NOTES : GPT2_NOTES),
    },
    run_config: c,
  };
}

/** A checkpoint this format cannot represent: the request is at fault, not the machine. */
export class UnsupportedExportError extends Error {}

/**
 * Why the checkpoint cannot be exported, or null. The layouts here (and the Hugging Face GPT-2 and
 * Llama models they map onto) have no QK-norm gains and no logit cap; weights exported without
 * them would load and silently compute a different model.
 */
export function unsupportedStabilisers(c: TrainState["config"]): string | null {
  const used = [c.qkNorm && "qkNorm (per-head q/k norms)", c.logitSoftCap && `logitSoftCap ${c.logitSoftCap}`, c.attnSoftCap && `attnSoftCap ${c.attnSoftCap}`].filter(Boolean);
  if (used.length === 0) return null;
  return `this run uses ${used.join(" and ")}, which the ${c.arch} export layout (and Hugging Face's ${c.arch === "llama" ? "LlamaForCausalLM" : "GPT2LMHeadModel"}) cannot represent; the exported model would compute different logits, so nothing was written. Generate and evaluate with the trainer instead`;
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
  const unsupported = unsupportedStabilisers(state.config);
  if (unsupported) throw new UnsupportedExportError(`cannot export ${file}: ${unsupported}`);
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
