import type { OPTIMIZERS } from "../run-config";
import { elements } from "./shapes";

export type Optimizer = (typeof OPTIMIZERS)[number];
export type ZeroStage = 0 | 1 | 2 | 3;
export const ZERO_STAGES: readonly ZeroStage[] = [0, 1, 2, 3];

/** Bytes of parameters, gradients and optimizer state (the "model states" of the ZeRO paper). */
export interface ModelStates {
  params: number;
  grads: number;
  optimizer: number;
}

/**
 * fp32 optimizer state of this trainer's optimizers (trainer/optimizers): AdamW keeps m and v
 * (8 B/param), Lion keeps m (4 B/param), Adafactor (β1 = 0) keeps for each matrix one row and one
 * column second-moment vector and for each vector a full one, so it depends on the shapes.
 */
export function optimizerStateBytes(optimizer: Optimizer, shapes: number[][]): number {
  const n = shapes.reduce((s, x) => s + elements(x), 0);
  if (optimizer === "adamw") return 8 * n;
  if (optimizer === "lion") return 4 * n;
  let floats = 0;
  for (const s of shapes) floats += s.length >= 2 ? elements(s.slice(0, -1)) + elements([...s.slice(0, -2), s[s.length - 1]]) : elements(s);
  return 4 * floats;
}

/** This trainer: everything fp32, 4 bytes for each parameter and each gradient. */
export function fp32States(optimizer: Optimizer, shapes: number[][]): ModelStates {
  const n = shapes.reduce((s, x) => s + elements(x), 0);
  return { params: 4 * n, grads: 4 * n, optimizer: optimizerStateBytes(optimizer, shapes) };
}

/**
 * Mixed precision as in the ZeRO paper: 16-bit parameters (2Ψ) and gradients (2Ψ), and KΨ of
 * optimizer state. K = 12 for Adam: the fp32 master weights (4) plus fp32 momentum and variance
 * (8). For the other optimizers K is the same fp32 master copy plus their own fp32 state.
 */
export function mixedStates(optimizer: Optimizer, shapes: number[][]): ModelStates {
  const n = shapes.reduce((s, x) => s + elements(x), 0);
  return { params: 2 * n, grads: 2 * n, optimizer: 4 * n + optimizerStateBytes(optimizer, shapes) };
}

/**
 * Model states per GPU under ZeRO data parallelism over `gpus` GPUs (Rajbhandari et al. 2020):
 * stage 1 (P_os) partitions the optimizer state, stage 2 (P_os+g) also the gradients, stage 3
 * (P_os+g+p) also the parameters. Stage 0 is plain data parallelism: every GPU holds everything.
 */
export function zeroStates(s: ModelStates, stage: ZeroStage, gpus: number): ModelStates {
  return {
    params: stage >= 3 ? s.params / gpus : s.params,
    grads: stage >= 2 ? s.grads / gpus : s.grads,
    optimizer: stage >= 1 ? s.optimizer / gpus : s.optimizer,
  };
}

export const statesTotal = (s: ModelStates): number => s.params + s.grads + s.optimizer;
