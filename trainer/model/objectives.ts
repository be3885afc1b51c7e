/**
 * Training objectives. The attention mask follows cfg.objective inside the model (attention.ts);
 * this file picks the positions that carry loss and, for mlm, corrupts the input.
 *
 * [MASK] for mlm is the end-of-text id (vocabSize - 1 in our tokenizer): the vocabulary has no
 * mask token, and reusing eot keeps the embedding and the tied head at exactly vocabSize rows, so
 * export and generation need no special case. The cost is that eot means both "document
 * boundary" and "masked" to an mlm model; the context around a masked slot still tells them apart.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/rng";
import { prefixLength } from "./attention";
import { crossEntropy } from "./cross-entropy";
import { hiddenStates, lmHead, lossFn, type ModelConfig, type Params } from "./model";
import { meanLogZSquared } from "./stabilisers";

export interface LossBatch {
  /** [B, T] input ids, row-major. */
  x: Int32Array;
  /** [B, T] next-token ids (x shifted by one); mlm ignores them. */
  y: Int32Array;
  B: number;
  T: number;
}

/** Share of positions mlm predicts (BERT). */
export const MLM_RATE = 0.15;
/** Of the chosen positions: replaced by [MASK], by a random token, left as they are (BERT). */
export const MLM_SPLIT = { mask: 0.8, random: 0.1, keep: 0.1 } as const;

export interface MlmCorruption {
  /** The model's input: x with the chosen positions corrupted. */
  input: Int32Array;
  /** Flat indices b*T + t of the chosen positions, ascending. */
  positions: Int32Array;
  /** Original token at each chosen position. */
  targets: Int32Array;
}

/**
 * BERT-style corruption. Each sequence gets k = max(1, round(0.15 T)) distinct positions (a fixed
 * count, as in BERT's create_pretraining_data, rather than a Bernoulli draw per token). Draws
 * from `rng` in a fixed order, row by row: k position draws (partial Fisher-Yates), then per
 * chosen position in draw order one uniform for the 80/10/10 choice and, for a random token, one
 * integer. A random token is uniform over every id except maskId.
 */
export function mlmCorrupt(x: Int32Array, B: number, T: number, vocabSize: number, maskId: number, rng: Rng): MlmCorruption {
  if (!Number.isInteger(maskId) || maskId < 0 || maskId >= vocabSize) throw new Error(`mask id ${maskId} is outside the vocabulary of ${vocabSize}`);
  const k = Math.max(1, Math.round(MLM_RATE * T));
  const input = Int32Array.from(x);
  const positions = new Int32Array(B * k);
  const perm = new Int32Array(T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) perm[t] = t;
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(T - i);
      const chosen = perm[j];
      perm[j] = perm[i];
      perm[i] = chosen;
      const at = b * T + chosen;
      positions[b * k + i] = at;
      const u = rng.next();
      if (u < MLM_SPLIT.mask) input[at] = maskId;
      else if (u < MLM_SPLIT.mask + MLM_SPLIT.random) {
        const r = rng.int(vocabSize - 1);
        input[at] = r >= maskId ? r + 1 : r;
      }
    }
  }
  positions.sort();
  return { input, positions, targets: positions.map((p) => x[p]) };
}

/**
 * Validation has no rng of its own: its masks come from an rng seeded by the batch's tokens
 * (FNV-1a), so each validation batch is masked the same way at every eval, and the training rng
 * (saved in checkpoints) is never touched.
 */
function batchRng(x: Int32Array): Rng {
  let h = 0x811c9dc5;
  for (let i = 0; i < x.length; i++) h = Math.imul(h ^ x[i], 0x01000193);
  return new Rng(h >>> 0);
}

/** Flat indices of positions t >= P in every row: prefix positions carry no loss. */
function afterPrefix(B: number, T: number, P: number): Int32Array {
  const out = new Int32Array(B * (T - P));
  for (let b = 0, n = 0; b < B; b++) for (let t = P; t < T; t++) out[n++] = b * T + t;
  return out;
}

/**
 * The training loss of cfg.objective on one batch (a scalar inside the caller's gradient tape):
 * - clm: next-token cross-entropy at every position, causal attention.
 * - prefix: P = round(prefixFraction T) positions attended bidirectionally, causal after; the
 *   loss is the next-token cross-entropy at positions >= P only.
 * - mlm: corrupt 15% of positions (mlmCorrupt), attend bidirectionally, and predict the original
 *   token at those positions only.
 * `rng` draws the mlm masks (pass the trainer's seeded rng so that resume stays exact); without
 * one they come from the batch itself (validation). maskId defaults to the end-of-text id.
 * Only the rows that carry loss go through the LM head, which is most of the saving for mlm.
 */
export function objectiveLoss(params: Params, cfg: ModelConfig, batch: LossBatch, rng?: Rng, maskId = cfg.vocabSize - 1): tf.Scalar {
  const objective = cfg.objective ?? "clm";
  const { x, y, B, T } = batch;
  if (objective === "clm") return tf.tidy(() => lossFn(params, cfg, tf.tensor2d(x, [B, T], "int32"), tf.tensor2d(y, [B, T], "int32")));
  const rows = lossRows(cfg, batch, rng, maskId);
  return tf.tidy(() => {
    const { logits, targets } = lossLogits(params, cfg, batch, rows);
    return crossEntropy(logits, targets);
  });
}

/** The two parts of a z-loss training loss: the cross-entropy and mean(log Z^2), both over the positions that carry loss. */
export interface LossTerms {
  ce: tf.Scalar;
  logZ2: tf.Scalar;
}

/** objectiveLoss's cross-entropy with mean(log Z^2) over the same logits; draws from `rng` exactly as objectiveLoss does. */
export function objectiveTerms(params: Params, cfg: ModelConfig, batch: LossBatch, rng?: Rng, maskId = cfg.vocabSize - 1): LossTerms {
  const rows = lossRows(cfg, batch, rng, maskId);
  return tf.tidy(() => {
    const { logits, targets } = lossLogits(params, cfg, batch, rows);
    return { ce: crossEntropy(logits, targets), logZ2: meanLogZSquared(logits) };
  });
}

interface Rows {
  /** The model's input (mlm: corrupted). */
  input: Int32Array;
  /** Flat indices b*T + t of the positions that carry loss; null = all of them (clm). */
  rows: Int32Array | null;
  targets: Int32Array;
}

function lossRows(cfg: ModelConfig, { x, y, B, T }: LossBatch, rng: Rng | undefined, maskId: number): Rows {
  const objective = cfg.objective ?? "clm";
  if (objective === "clm") return { input: x, rows: null, targets: y };
  if (objective === "mlm") {
    const { input, positions, targets } = mlmCorrupt(x, B, T, cfg.vocabSize, maskId, rng ?? batchRng(x));
    return { input, rows: positions, targets };
  }
  const rows = afterPrefix(B, T, prefixLength(T, cfg.prefixFraction ?? 0.5));
  return { input: x, rows, targets: rows.map((r) => y[r]) };
}

/** Logits [N, V] of the positions that carry loss, and their targets [N]. */
function lossLogits(params: Params, cfg: ModelConfig, { B, T }: LossBatch, { input, rows, targets }: Rows): { logits: tf.Tensor2D; targets: tf.Tensor1D } {
  const h = hiddenStates(params, cfg, tf.tensor2d(input, [B, T], "int32"));
  const logits = lmHead(params, rows ? tf.gather(h, tf.tensor1d(rows, "int32")) : h, cfg);
  return { logits, targets: tf.tensor1d(targets, "int32") };
}
