import * as tf from "@tensorflow/tfjs";
import { decays, NamedOptimizer } from "./base";

export interface LionOptions {
  beta1: number;
  /** The paper's default, 0.99; see LION_BETA2 in index.ts for how a run picks it. */
  beta2: number;
  weightDecay: number;
}

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), per parameter:
 *   p ← p − lr·wd·p                        (decoupled decay, rank ≥ 2 only, as for AdamW)
 *   p ← p − lr · sign(β1·m + (1−β1)·g)
 *   m ← β2·m + (1−β2)·g
 * Every element moves by exactly ±lr (or 0), so lr wants to be 3–10× below AdamW's and wd 3–10× above.
 * One slot: `m.<param>`.
 */
export class Lion extends NamedOptimizer {
  static get className(): string {
    return "Lion";
  }

  constructor(params: Map<string, tf.Variable>, private readonly opts: LionOptions) {
    super(params);
    for (const [name, p] of params) this.addSlot("m", name, p.shape);
  }

  protected update(name: string, p: tf.Variable, g: tf.Tensor): void {
    const { beta1, beta2, weightDecay } = this.opts;
    const lr = this.learningRate;
    const m = this.slot("m", name);
    const direction = tf.sign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
    const decayed = weightDecay > 0 && decays(p) ? tf.mul(p, 1 - lr * weightDecay) : p;
    p.assign(tf.sub(decayed, tf.mul(direction, lr)));
    m.assign(tf.add(tf.mul(m, beta2), tf.mul(g, 1 - beta2)));
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, ...this.opts };
  }
}
