/**
 * Text generation from a checkpoint: the dataset's tokenizer encodes the prompt, the model runs
 * autoregressively on the last contextLength tokens, and tokens are drawn by trainer/inference/sampling.ts
 * until maxTokens or the end-of-text token.
 */
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { dataDirOf, resolveCheckpointFile } from "../../formats/checkpoint";
import { datasetFiles } from "../../formats/dataset";
import type { GenerateBatchResult, GenerateResult, SamplingOptions } from "../../lib/generation";
import { Rng } from "../../lib/rng";
import { BpeTokenizer } from "../../lib/tokenizer/bpe";
import { selectBackend } from "../backend/backend";
import { loadCheckpoint, type TrainState } from "../checkpoint/checkpoint";
import { modelTensors } from "../checkpoint/weights";
import { hiddenStates, lmHead, modelConfig, type ModelConfig, type Params } from "../model/model";
import { sampleToken } from "./sampling";

export interface Generator {
  readonly backend: string;
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly eotId: number;
  readonly tokenizer: BpeTokenizer;
  sample(opts: SamplingOptions): Promise<Omit<GenerateResult, "loadMs">>;
  dispose(): void;
}

/** A request this checkpoint cannot serve (the CLI exits 2 for it, as for bad flags). */
export class InputError extends Error {}

// Engine variable names are unique per process, and tests load several generators.
let loads = 0;

/** The tokenizer of a prepared dataset, checked against the model's vocabulary. */
export function readDatasetTokenizer(dataDir: string, datasetId: string, vocabSize: number): BpeTokenizer {
  const { tokenizerFile } = datasetFiles(dataDir, datasetId);
  if (!tokenizerFile)
    throw new Error(`the checkpoint's dataset ${datasetId} has no tokenizer.json under ${path.join(dataDir, "datasets")}; pass --data-dir with the data directory it was trained from`);
  let tokenizer: BpeTokenizer;
  try {
    tokenizer = BpeTokenizer.fromJSON(fs.readFileSync(tokenizerFile, "utf8"));
  } catch (e) {
    throw new Error(`cannot load ${tokenizerFile}: ${(e as Error).message}`, { cause: e });
  }
  if (tokenizer.vocabSize !== vocabSize)
    throw new Error(`${tokenizerFile} has ${tokenizer.vocabSize} tokens, the checkpoint's model has ${vocabSize}`);
  return tokenizer;
}

/** A checkpoint file (or its step directory) read and sha256-verified. */
export function readCheckpoint(checkpoint: string): { file: string; state: TrainState } {
  const file = resolveCheckpointFile(checkpoint);
  try {
    return { file, state: loadCheckpoint(file) };
  } catch (e) {
    throw new Error(`cannot read checkpoint ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Where a checkpoint's dataset is looked for: the flag, else the data directory it sits in, else $DATA_DIR or ./data. */
export const checkpointDataDir = (file: string, dataDir?: string) => path.resolve(dataDir ?? dataDirOf(file) ?? process.env.DATA_DIR ?? "./data");

/** The checkpoint's model weights as non-trainable variables, and its model config. */
export function checkpointModel(state: TrainState): { params: Params; cfg: ModelConfig } {
  const cfg: ModelConfig = { ...modelConfig(state.config, state.vocabSize), gradientCheckpointing: false };
  const prefix = `gen${loads++}/`;
  const params: Params = new Map();
  for (const [name, t] of modelTensors(state.tensors)) {
    const init = tf.tensor(t.data, t.shape, "float32");
    params.set(name, tf.variable(init, false, prefix + name));
    init.dispose();
  }
  return { params, cfg };
}

/**
 * Logits [V] after the last token of `window`, read back with one sync. The window is padded on
 * the right to a power of two: the model caches one attention mask per length, and tokens after
 * the last real one cannot change it under a causal or prefix mask. A prefix model sees the
 * prompt tokens still in the window as its bidirectional prefix.
 */
async function nextLogits(params: Params, cfg: ModelConfig, window: number[], promptInWindow: number, pad: number): Promise<Float32Array> {
  const n = window.length;
  const T = Math.min(cfg.contextLength, 2 ** Math.ceil(Math.log2(n)));
  const ids = Int32Array.from({ length: T }, (_, i) => (i < n ? window[i] : pad));
  const stepCfg = cfg.objective === "prefix" ? { ...cfg, prefixFraction: promptInWindow / T } : cfg;
  const last = tf.tidy(() => {
    // The LM head on the last position only: over all T it would cost T x dModel x vocab per token.
    const h = hiddenStates(params, stepCfg, tf.tensor2d(ids, [1, T], "int32"));
    return tf.reshape(lmHead(params, tf.slice(h, [n - 1, 0], [1, cfg.dModel]), cfg), [cfg.vocabSize]);
  });
  const data = (await last.data()) as Float32Array;
  last.dispose();
  return data;
}

/** Loads the checkpoint (sha256-verified) and its dataset's tokenizer onto the wasm backend. */
export async function loadGenerator(checkpoint: string, dataDir?: string): Promise<Generator> {
  const { name: backend } = await selectBackend("wasm");
  const { file, state } = readCheckpoint(checkpoint);
  if (state.config.objective === "mlm")
    throw new InputError(`checkpoint ${file} was trained as a masked LM (objective mlm); it does not predict the next token, so it cannot generate text`);
  const tokenizer = readDatasetTokenizer(checkpointDataDir(file, dataDir), state.datasetId, state.vocabSize);
  const { params, cfg } = checkpointModel(state);
  const eotId = tokenizer.eotId;

  return {
    backend,
    vocabSize: cfg.vocabSize,
    contextLength: cfg.contextLength,
    eotId,
    tokenizer,
    async sample(opts) {
      if (opts.topK > cfg.vocabSize) throw new InputError(`topK ${opts.topK} exceeds the vocabulary of ${cfg.vocabSize} tokens`);
      const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
      const rng = new Rng(seed);
      const promptIds = tokenizer.encode(opts.prompt);
      // An empty prompt starts a new document, as every training document follows end-of-text.
      const ids = promptIds.length ? [...promptIds] : [eotId];
      const tokens: number[] = [];
      let stop: GenerateResult["stop"] = "max_tokens";
      const t0 = performance.now();
      const promptLength = ids.length;
      while (tokens.length < opts.maxTokens) {
        const window = ids.slice(-cfg.contextLength);
        const promptInWindow = Math.max(0, promptLength - (ids.length - window.length));
        const next = sampleToken(await nextLogits(params, cfg, window, promptInWindow, eotId), opts.temperature, opts.topK, rng);
        if (next === eotId) {
          stop = "eot";
          break;
        }
        tokens.push(next);
        ids.push(next);
      }
      const ms = performance.now() - t0;
      return { text: tokenizer.decode(tokens), tokens, promptTokens: promptIds.length, stop, seed, ms, backend };
    },
    dispose() {
      for (const v of params.values()) v.dispose();
    },
  };
}

export interface GenerateOptions extends SamplingOptions {
  /** checkpoint.safetensors or its step-NNNNNN directory. */
  checkpointFile: string;
  /** Default: the data directory the checkpoint sits in, else $DATA_DIR or ./data. */
  dataDir?: string;
}

export async function generate(opts: GenerateOptions): Promise<GenerateResult> {
  const t0 = performance.now();
  const gen = await loadGenerator(opts.checkpointFile, opts.dataDir);
  const loadMs = performance.now() - t0;
  try {
    return { ...(await gen.sample(opts)), loadMs };
  } finally {
    gen.dispose();
  }
}

/**
 * Several prompts from one load. Every prompt starts from the same seed (one is drawn when none is
 * given), so each text is the one a single-prompt call with that seed would give.
 */
export async function generateMany(opts: Omit<GenerateOptions, "prompt"> & { prompts: string[] }): Promise<GenerateBatchResult> {
  const t0 = performance.now();
  const gen = await loadGenerator(opts.checkpointFile, opts.dataDir);
  const loadMs = performance.now() - t0;
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  try {
    const results = [];
    for (const prompt of opts.prompts) results.push(await gen.sample({ ...opts, prompt, seed }));
    return { results, loadMs };
  } finally {
    gen.dispose();
  }
}
