import * as tf from "@tensorflow/tfjs";
import { decays, NamedOptimizer } from "./base";

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  weightDecay: number;
  eps?: number;
}

/**
 * AdamW (Loshchilov & Hutter) as in PyTorch, per parameter p with gradient g at step t (1-based):
 *   p ← p − lr·wd·p                        (decoupled decay, only for tensors of rank ≥ 2)
 *   m ← β1·m + (1−β1)·g,   v ← β2·v + (1−β2)·g²
 *   p ← p − lr · (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + eps)
 * Slots: `m.<param>`, `v.<param>`.
 */
export class AdamW extends NamedOptimizer {
  static get className(): string {
    return "AdamW";
  }

  private readonly eps: number;

  constructor(params: Map<string, tf.Variable>, private readonly opts: AdamWOptions) {
    super(params);
    this.eps = opts.eps ?? 1e-8;
    for (const [name, p] of params) {
      this.addSlot("m", name, p.shape);
      this.addSlot("v", name, p.shape);
    }
  }

  protected update(name: string, p: tf.Variable, g: tf.Tensor, t: number): void {
    const { beta1, beta2, weightDecay } = this.opts;
    const lr = this.learningRate;
    const m = this.slot("m", name);
    const v = this.slot("v", name);
    const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
    const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
    m.assign(mNew);
    v.assign(vNew);
    const update = tf.div(tf.div(mNew, 1 - beta1 ** t), tf.add(tf.sqrt(tf.div(vNew, 1 - beta2 ** t)), this.eps));
    const decayed = weightDecay > 0 && decays(p) ? tf.mul(p, 1 - lr * weightDecay) : p;
    p.assign(tf.sub(decayed, tf.mul(update, lr)));
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, ...this.opts, eps: this.eps };
  }
}
