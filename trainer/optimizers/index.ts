import type * as tf from "@tensorflow/tfjs";
import type { RunConfig } from "../../lib/run-config";
import { Adafactor } from "./adafactor";
import { AdamW } from "./adamw";
import type { NamedOptimizer } from "./base";
import { Lion } from "./lion";

export { Adafactor } from "./adafactor";
export { AdamW } from "./adamw";
export { decays, NamedOptimizer, type NamedTensor } from "./base";
export { Lion } from "./lion";

/**
 * Lion's β2, whatever config.beta2 says. config.beta2 is AdamW's second-moment decay (0.95 by
 * default for LMs) and a form cannot tell "left at the AdamW default" from "chosen for Lion", so
 * Lion keeps the paper's 0.99 rather than silently inheriting a value tuned for another rule.
 */
export const LION_BETA2 = 0.99;

export type OptimizerConfig = Pick<RunConfig, "optimizer" | "beta1" | "beta2" | "weightDecay" | "adafactorRelativeStep">;

/**
 * The run's optimizer over the model's named parameters. Adafactor keeps no first moment (β1 = 0,
 * the paper's default) and has its own β2 schedule, so it ignores beta1 and beta2.
 */
export function createOptimizer(config: OptimizerConfig, params: Map<string, tf.Variable>): NamedOptimizer {
  const { beta1, beta2, weightDecay } = config;
  switch (config.optimizer) {
    case "adamw":
      return new AdamW(params, { beta1, beta2, weightDecay });
    case "lion":
      return new Lion(params, { beta1, beta2: LION_BETA2, weightDecay });
    case "adafactor":
      return new Adafactor(params, { relativeStep: config.adafactorRelativeStep, weightDecay });
  }
}

/**
 * The lr a run reports for step t (1-based): the schedule's, except under Adafactor's relative step,
 * which ignores it and uses ρ_t = min(1e-2, 1/√t) (before each parameter's RMS scaling).
 */
export function reportedLr(config: Pick<RunConfig, "optimizer" | "adafactorRelativeStep">, scheduleLr: number, t: number): number {
  return config.optimizer === "adafactor" && config.adafactorRelativeStep ? Adafactor.relativeStepAt(t) : scheduleLr;
}
