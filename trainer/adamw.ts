import * as tf from "@tensorflow/tfjs";

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
 * The rank rule is nanoGPT's: matrices and embeddings decay; biases and LayerNorm gains do not.
 */
export class AdamW {
  private t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly eps: number;

  constructor(
    private readonly params: Map<string, tf.Variable>,
    private readonly opts: AdamWOptions,
  ) {
    this.eps = opts.eps ?? 1e-8;
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  static decays(p: tf.Tensor): boolean {
    return p.rank >= 2;
  }

  get stepCount(): number {
    return this.t;
  }

  /** One update with `lr`; every parameter must have a gradient. */
  step(grads: Map<string, tf.Tensor>, lr: number): void {
    this.t++;
    const { beta1, beta2, weightDecay } = this.opts;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads.get(name);
        if (!g) throw new Error(`AdamW: no gradient for ${name}`);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(mNew);
        v.assign(vNew);
        const update = tf.div(tf.div(mNew, bc1), tf.add(tf.sqrt(tf.div(vNew, bc2)), this.eps));
        const decayed = weightDecay > 0 && AdamW.decays(p) ? tf.mul(p, 1 - lr * weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      }
    });
  }

  /** Moments keyed `m.<param>` and `v.<param>`; the tensors are live: read them, don't dispose them. */
  getState(): { t: number; tensors: Map<string, tf.Tensor> } {
    const tensors = new Map<string, tf.Tensor>();
    for (const [name, m] of this.m) tensors.set(`m.${name}`, m);
    for (const [name, v] of this.v) tensors.set(`v.${name}`, v);
    return { t: this.t, tensors };
  }

  /** Restores moments (copied into the optimizer's own variables) and the step count. */
  setState(state: { t: number; tensors: Map<string, tf.Tensor> }): void {
    for (const [kind, vars] of [["m", this.m], ["v", this.v]] as const) {
      for (const [name, variable] of vars) {
        const src = state.tensors.get(`${kind}.${name}`);
        if (!src) throw new Error(`optimizer state lacks ${kind}.${name}`);
        if (!tf.util.arraysEqual(src.shape, variable.shape))
          throw new Error(`optimizer state ${kind}.${name} has shape [${src.shape}], expected [${variable.shape}]`);
        variable.assign(src);
      }
    }
    this.t = state.t;
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
  }
}
