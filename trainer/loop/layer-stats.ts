/**
 * Per-layer statistics (docs/layer-stats.md), every `interval` steps: per row (embeddings, each
 * block, final norm) the gradient norm before clipping, the parameter norm and the update ratio
 * ‖Δθ‖/‖θ‖; per block the RMS and max |x| of the residual stream; per head the attention entropy;
 * and the largest logit and mean log Z. Activations come from one extra no-grad forward on the
 * first few rows of the step's batch with the parameters the step's loss saw. It draws from no rng
 * and changes no parameter, so training is the same with the statistics on or off. Everything a
 * stats step logs is read back with one sync.
 */
import * as tf from "@tensorflow/tfjs";
import { LAYER_STATS, layerKey, LOGIT_LOG_Z_KEY, LOGIT_MAX_KEY, modelRows, paramRow, rowName, type LayerRow } from "../../lib/layer-stats";
import type { MetricPoint } from "../../lib/protocol";
import type { Batch } from "../data/mixture";
import { hiddenStates, lmHead, type ModelConfig, type ModelProbe, type Params } from "../model/model";

/** Rows of the batch the activation forward runs on: enough for stable means, a small share of a step. */
export const PROBE_ROWS = 4;

/** Guards log(0): a masked key's probability is exactly 0 and 0 · log(1e-30) is 0. */
const TINY = 1e-30;

interface Captured {
  gradSq: tf.Tensor1D;
  before: Map<string, tf.Tensor>;
  /** act_rms per row, act_max per row, entropy per block and head, logit max, mean log Z. */
  forward: tf.Tensor1D;
}

/** Sum of squares of each row's tensors, in row order, as one [rows] vector (0 for a row with none). */
function rowSquares(byRow: number[], tensors: (tf.Tensor | undefined)[], rows: number): tf.Tensor1D {
  const parts: tf.Tensor[][] = Array.from({ length: rows }, () => []);
  tensors.forEach((t, i) => t && parts[byRow[i]].push(tf.sum(tf.square(t))));
  return tf.stack(parts.map((p) => (p.length === 0 ? tf.scalar(0) : p.length === 1 ? p[0] : tf.addN(p)))) as tf.Tensor1D;
}

/**
 * The activation statistics of `x` [n, T] under `params`: act_rms and act_max per row, the entropy
 * of each block's heads (mean over batch and query positions of −Σ p log p), logit max and mean log Z.
 */
export function forwardStats(params: Params, cfg: ModelConfig, x: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const rms = new Map<string, tf.Tensor>();
    const max = new Map<string, tf.Tensor>();
    const entropy: tf.Tensor[] = [];
    const [n, T] = x.shape;
    const probe: ModelProbe = {
      activation(row, a) {
        const name = typeof row === "number" ? rowName({ block: row }) : row;
        rms.set(name, tf.sqrt(tf.mean(tf.square(a))));
        max.set(name, tf.max(tf.abs(a)));
      },
      attention(_block, p) {
        const perQuery = tf.neg(tf.sum(tf.mul(p, tf.log(tf.maximum(p, TINY))), -1));
        entropy.push(tf.mean(tf.reshape(perQuery, [n, cfg.nHead, T]), [0, 2]));
      },
    };
    const logits = lmHead(params, hiddenStates(params, cfg, x, probe), cfg);
    const rows = modelRows(cfg.nLayer).map(rowName);
    return tf.concat([
      tf.stack(rows.map((r) => rms.get(r)!)),
      tf.stack(rows.map((r) => max.get(r)!)),
      ...entropy,
      tf.stack([tf.max(logits), tf.mean(tf.logSumExp(logits, 1))]),
    ]) as tf.Tensor1D;
  });
}

export class LayerStats {
  private readonly rows: LayerRow[];
  private readonly names: string[];
  /** Row index of each parameter, in `names` order. */
  private readonly byRow: number[];
  private readonly byEngineName = new Map<string, string>();
  /** The keys of a stats step's values, in the order they are packed. */
  private readonly keys: string[];
  private captured: Captured | null = null;

  constructor(
    private readonly params: Params,
    private readonly model: ModelConfig,
    private readonly interval: number,
  ) {
    this.rows = modelRows(model.nLayer);
    const index = new Map(this.rows.map((r, i) => [rowName(r), i]));
    // A parameter of no known row (a future top-level weight) is left out rather than stopping the run.
    this.names = [...params.keys()].filter((name) => paramRow(name) !== null);
    this.byRow = this.names.map((name) => index.get(rowName(paramRow(name)!))!);
    for (const [name, p] of params) this.byEngineName.set(p.name, name);
    this.keys = layerStatKeys(model);
  }

  due(step: number): boolean {
    return this.interval > 0 && step % this.interval === 0;
  }

  /**
   * At a stats step, inside the step's tidy and before clipping: keeps the per-row squared gradient
   * norms of `grads` (keyed by engine variable name), the parameters before the update, and the
   * activation statistics of the batch's first rows.
   */
  capture(step: number, grads: Map<string, tf.Tensor>, batch: Batch, rows: number, T: number): void {
    if (!this.due(step)) return;
    this.dispose();
    const byName = new Map<string, tf.Tensor>();
    for (const [engineName, g] of grads) {
      const name = this.byEngineName.get(engineName);
      if (name) byName.set(name, g);
    }
    const n = Math.min(rows, PROBE_ROWS);
    const kept = tf.tidy(() => ({
      gradSq: rowSquares(this.byRow, this.names.map((name) => byName.get(name)), this.rows.length),
      forward: forwardStats(this.params, this.model, tf.tensor2d(batch.x.subarray(0, n * T), [n, T], "int32")),
    }));
    // A clone shares the variable's data; the optimizer's assign gives the variable new data and leaves this as it was.
    const before = new Map(this.names.map((name) => [name, tf.keep(tf.clone(this.params.get(name)!))]));
    this.captured = { gradSq: tf.keep(kept.gradSq), forward: tf.keep(kept.forward), before };
  }

  /** After the step's update (applied or not): the step's points, read with one sync; [] at other steps. */
  async points(step: number, wallTime: number): Promise<MetricPoint[]> {
    const c = this.captured;
    if (!c || !this.due(step)) return [];
    const R = this.rows.length;
    const packed = tf.tidy(() => {
      const after = this.names.map((name) => this.params.get(name)!);
      const paramSq = rowSquares(this.byRow, after, R);
      const beforeSq = rowSquares(this.byRow, this.names.map((name) => c.before.get(name)), R);
      const deltaSq = rowSquares(this.byRow, after.map((p, i) => tf.sub(p, c.before.get(this.names[i])!)), R);
      const ratio = tf.div(tf.sqrt(deltaSq), tf.maximum(tf.sqrt(beforeSq), TINY));
      return tf.concat([tf.sqrt(c.gradSq), tf.sqrt(paramSq), ratio, c.forward]);
    });
    this.dispose();
    const values = await packed.data();
    packed.dispose();
    return this.pointsOf(values, step, wallTime);
  }

  private pointsOf(values: ArrayLike<number>, step: number, wallTime: number): MetricPoint[] {
    if (this.keys.length !== values.length) throw new Error(`layer statistics: read ${values.length} values, expected ${this.keys.length}`);
    return this.keys.map((key, i) => ({ step, key, value: Number.isFinite(values[i]) ? values[i] : null, wallTime }));
  }

  dispose(): void {
    if (!this.captured) return;
    tf.dispose([this.captured.gradSq, this.captured.forward, ...this.captured.before.values()]);
    this.captured = null;
  }
}

/** Every key a run of this model logs at a stats step. */
export function layerStatKeys(model: Pick<ModelConfig, "nLayer" | "nHead">): string[] {
  const rows = modelRows(model.nLayer);
  const perRow = LAYER_STATS.filter((s) => s !== "attn_entropy").flatMap((stat) => rows.map((row) => layerKey(stat, row)));
  const heads = Array.from({ length: model.nLayer }, (_, block) =>
    Array.from({ length: model.nHead }, (_, head) => layerKey("attn_entropy", { block, head }))).flat();
  return [...perRow, ...heads, LOGIT_MAX_KEY, LOGIT_LOG_Z_KEY];
}
