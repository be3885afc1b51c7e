import * as tf from "@tensorflow/tfjs";

/** tfjs-core's NamedTensor, which its package index does not export. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** nanoGPT's rule for decoupled weight decay: matrices and embeddings decay; biases and norm gains do not. */
export const decays = (p: tf.Tensor): boolean => p.rank >= 2;

/** Root mean square of all elements, as a device scalar. */
export const rms = (x: tf.Tensor): tf.Scalar => tf.sqrt(tf.mean(tf.square(x))) as tf.Scalar;

/**
 * A tf.Optimizer (tf.train.Optimizer in the docs) over a model's named parameters.
 *
 * Its state is one zero-initialised variable per (slot, parameter), named `<slot>.<param>` after the
 * model's parameter names: engine variable names carry a per-process prefix, and a checkpoint has to
 * restore into a freshly built model. getWeights/setWeights follow tfjs: the iteration count first,
 * as `iter`, then the slots (sorted by name).
 *
 * applyGradients takes gradients keyed by engine variable name, as tf.variableGrads returns them. A
 * parameter without a gradient is left as it is (PyTorch's rule); the step count is shared.
 */
export abstract class NamedOptimizer extends tf.Optimizer {
  /** The lr of the next applyGradients; the trainer sets it from its schedule before each step. */
  learningRate = 0;
  private readonly slots = new Map<string, tf.Variable>();
  private readonly byEngineName = new Map<string, string>();

  constructor(protected readonly params: Map<string, tf.Variable>) {
    super();
    for (const [name, p] of params) this.byEngineName.set(p.name, name);
  }

  /** Update parameter p (model name `name`) with gradient g at step t (1-based); runs inside a tidy. */
  protected abstract update(name: string, p: tf.Variable, g: tf.Tensor, t: number): void;

  protected addSlot(slot: string, param: string, shape: number[]): void {
    this.slots.set(`${slot}.${param}`, tf.tidy(() => tf.variable(tf.zeros(shape), false)));
  }

  protected slot(slot: string, param: string): tf.Variable {
    const v = this.slots.get(`${slot}.${param}`);
    if (!v) throw new Error(`${this.getClassName()} keeps no ${slot}.${param}`);
    return v;
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const grads = new Map<string, tf.Tensor>(
      Array.isArray(variableGradients) ? variableGradients.map((g) => [g.name, g.tensor]) : Object.entries(variableGradients),
    );
    for (const key of grads.keys())
      if (!this.byEngineName.has(key)) throw new Error(`${this.getClassName()}: got a gradient for ${key}, which it does not optimise`);
    this.incrementIterations();
    const t = this.iterations;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads.get(p.name);
        if (g) this.update(name, p, g, t);
      }
    });
  }

  /** `iter` is a new tensor (dispose it); the slots are the live variables (read them, don't dispose them). */
  async getWeights(): Promise<NamedTensor[]> {
    const names = [...this.slots.keys()].sort();
    return [await this.saveIterations(), ...names.map((name) => ({ name, tensor: this.slots.get(name)! }))];
  }

  /** Copies the values in (the caller keeps ownership); every slot must be given, and nothing else. */
  async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const cls = this.getClassName();
    if (weightValues[0]?.name !== "iter") throw new Error(`${cls} state must start with the iteration count "iter"`);
    const given = new Map(weightValues.slice(1).map((w) => [w.name, w.tensor]));
    for (const name of given.keys())
      if (!this.slots.has(name)) throw new Error(`optimizer state has ${name}, which ${cls} does not keep; was it written by another optimizer or model?`);
    for (const [name, variable] of this.slots) {
      const src = given.get(name);
      if (!src) throw new Error(`optimizer state lacks ${name}, which ${cls} needs; was it written by another optimizer or model?`);
      if (!tf.util.arraysEqual(src.shape, variable.shape))
        throw new Error(`optimizer state ${name} has shape [${src.shape}], ${cls} needs [${variable.shape}]`);
    }
    await this.extractIterations(weightValues);
    for (const [name, variable] of this.slots) variable.assign(given.get(name)!);
  }

  dispose(): void {
    super.dispose();
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}
