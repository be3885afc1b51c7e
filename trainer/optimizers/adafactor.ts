import * as tf from "@tensorflow/tfjs";
import { decays, NamedOptimizer, rms } from "./base";

export interface AdafactorOptions {
  /** Step size min(1e-2, 1/√t)·max(eps2, RMS(p)) instead of the external learningRate. */
  relativeStep: boolean;
  weightDecay: number;
  /** First-moment decay; 0 (the paper's default) keeps no first moment and saves its memory. */
  beta1?: number;
  eps1?: number;
  eps2?: number;
  /** Update clipping threshold d on RMS(u). */
  clipThreshold?: number;
  /** β2 at step t is 1 − t^(−decayRate). */
  decayRate?: number;
}

/**
 * Adafactor (Shazeer & Stern 2018, "Adaptive Learning Rates with Sublinear Memory Cost"), per
 * parameter p with gradient g at step t (1-based), β2t = 1 − t^(−0.8):
 *   G = g² + eps1
 *   matrix (rank ≥ 2, factored over the last two axes):
 *     r ← β2t·r + (1−β2t)·rowMean(G),   c ← β2t·c + (1−β2t)·colMean(G)
 *     V = r cᵀ / mean(r)                (the rank-1 fit of the paper, with means for sums)
 *   vector: v ← β2t·v + (1−β2t)·G,  V = v
 *   u = g / √V;  u ← u / max(1, RMS(u)/d)
 *   α = relativeStep ? min(1e-2, 1/√t)·max(eps2, RMS(p)) : lr
 *   β1 > 0: m ← β1·m + (1−β1)·α·u, step = m (as Hugging Face's); else step = α·u
 *   p ← p − α·wd·p − step               (decoupled decay, rank ≥ 2 only)
 * At t = 1, β2t = 0: the second moment is the first squared gradient, no bias correction needed.
 * Slots: `vr.<param>` (rows, shape[:-1]) and `vc.<param>` (columns, shape[:-2] + shape[-1:]) for
 * matrices, `v.<param>` for vectors, and `m.<param>` only when β1 > 0.
 */
export class Adafactor extends NamedOptimizer {
  static get className(): string {
    return "Adafactor";
  }

  /** The relative step ρ_t = min(1e-2, 1/√t), before it is scaled by the parameter's RMS. */
  static relativeStepAt(t: number): number {
    return Math.min(1e-2, 1 / Math.sqrt(t));
  }

  private readonly o: Required<AdafactorOptions>;

  constructor(params: Map<string, tf.Variable>, opts: AdafactorOptions) {
    super(params);
    this.o = { beta1: 0, eps1: 1e-30, eps2: 1e-3, clipThreshold: 1, decayRate: 0.8, ...opts };
    for (const [name, p] of params) {
      const shape = p.shape;
      if (shape.length >= 2) {
        this.addSlot("vr", name, shape.slice(0, -1));
        this.addSlot("vc", name, [...shape.slice(0, -2), shape[shape.length - 1]]);
      } else {
        this.addSlot("v", name, shape);
      }
      if (this.o.beta1 > 0) this.addSlot("m", name, shape);
    }
  }

  protected update(name: string, p: tf.Variable, g: tf.Tensor, t: number): void {
    const { beta1, eps1, eps2, clipThreshold, decayRate, relativeStep, weightDecay } = this.o;
    const beta2t = 1 - t ** -decayRate;
    const G = tf.add(tf.square(g), eps1);
    const ema = (slot: tf.Variable, x: tf.Tensor) => {
      const next = tf.add(tf.mul(slot, beta2t), tf.mul(x, 1 - beta2t));
      slot.assign(next);
      return next;
    };
    let u: tf.Tensor;
    if (p.rank >= 2) {
      const r = ema(this.slot("vr", name), tf.mean(G, -1));
      const c = ema(this.slot("vc", name), tf.mean(G, -2));
      const rowFactor = tf.expandDims(tf.rsqrt(tf.div(r, tf.mean(r, -1, true))), -1);
      const colFactor = tf.expandDims(tf.rsqrt(c), -2);
      u = tf.mul(tf.mul(g, rowFactor), colFactor);
    } else {
      u = tf.mul(g, tf.rsqrt(ema(this.slot("v", name), G)));
    }
    u = tf.div(u, tf.maximum(tf.div(rms(u), clipThreshold), 1));
    const alpha: tf.Tensor | number = relativeStep
      ? tf.mul(tf.maximum(rms(p), eps2), Adafactor.relativeStepAt(t))
      : this.learningRate;
    let step = tf.mul(u, alpha);
    if (beta1 > 0) {
      const m = this.slot("m", name);
      step = tf.add(tf.mul(m, beta1), tf.mul(step, 1 - beta1));
      m.assign(step);
    }
    const decayed = weightDecay > 0 && decays(p) ? tf.sub(p, tf.mul(tf.mul(p, alpha), weightDecay)) : p;
    p.assign(tf.sub(decayed, step));
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, ...this.o };
  }
}
