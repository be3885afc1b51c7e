import { paramCount, tokensPerStep } from "../estimates";
import type { RunConfig } from "../run-config";
import { activationBytes } from "./activations";
import { chinchillaLoss, computeOptimal, fitRange, type FitCheck, regime, type Regime } from "./chinchilla";
import { flopsPerTokenBreakdown, trainingFlops, type FlopsPerToken } from "./flops";
import { paramShapes } from "./shapes";
import { fp32States, mixedStates, statesTotal, ZERO_STAGES, zeroStates, type ModelStates } from "./states";
import { ACCELERATORS, secondsAtScale, secondsAtThroughput, type Accelerator } from "./time";
import { trainingTokens } from "./tokens";

/** The run-config fields the plan reads, plus the dataset's vocabulary size. */
export type PlanConfig = Pick<
  RunConfig,
  "arch" | "nLayer" | "nHead" | "dModel" | "contextLength" | "batchSize" | "microBatchSize" | "batchRampStart" | "batchRampTokens" | "steps" | "optimizer" | "gradientCheckpointing"
> & { vocabSize: number };

export interface PlanInput extends PlanConfig {
  /** GPUs for the ZeRO columns and the at-scale time. */
  gpus: number;
  accelerator: Accelerator;
  /** Model FLOPs utilisation, in (0, 1]. */
  mfu: number;
  /** Tokens/s this backend measured; null when unknown. */
  measuredTokensPerSec: number | null;
  /** Tokens already trained (a resumed run); 0 for a new one. */
  tokensDone?: number;
}

/** Bytes of one memory column: model states plus activations without and with checkpointing. */
export interface MemoryColumn extends ModelStates {
  activations: number;
  activationsCheckpointed: number;
  total: number;
  totalCheckpointed: number;
}

export interface Plan {
  params: number;
  tokensPerStep: number;
  /** D: training tokens of the whole run (the batch ramp included). */
  tokens: number;
  flopsPerToken: FlopsPerToken;
  /** 6·N·D. */
  totalFlops: number;
  /** (6N + 12·L·d·T)·D: the model FLOPs MFU is measured against (PaLM's definition). */
  totalFlopsWithAttention: number;
  chinchilla: {
    tokensPerParam: number;
    regime: Regime;
    /** N and D that the same 6ND budget would buy at 20 tokens per parameter. */
    optimal: { params: number; tokens: number };
    loss: number;
    optimalLoss: number;
    /** N and D against the range the fit was made on: outside it `loss` is an extrapolation. */
    fit: FitCheck;
    optimalFit: FitCheck;
  };
  memory: {
    /** Sequences per forward/backward pass in this trainer, and per GPU under data parallelism. */
    microBatch: number;
    gpuMicroBatch: number;
    /** This trainer: fp32 everything, the chosen optimizer, no dropout. */
    trainer: MemoryColumn;
    /** Mixed precision per GPU, ZeRO stages 0–3 (index = stage). */
    zero: MemoryColumn[];
  };
  time: {
    /** At the measured tokens/s; null when none was measured. */
    localSeconds: number | null;
    /** totalFlopsWithAttention / (gpus · peak · mfu). */
    scaleSeconds: number;
  };
}

function column(states: ModelStates, activations: number, activationsCheckpointed: number): MemoryColumn {
  const s = statesTotal(states);
  return { ...states, activations, activationsCheckpointed, total: s + activations, totalCheckpointed: s + activationsCheckpointed };
}

export function planRun(input: PlanInput): Plan {
  const params = paramCount(input);
  const tokens = trainingTokens(input);
  const fpt = flopsPerTokenBreakdown(input);
  const totalFlops = trainingFlops(params, tokens);
  const optimal = computeOptimal(totalFlops);
  const tokensPerParam = tokens / params;

  const shapes = paramShapes(input);
  const microBatch = input.microBatchSize > 0 ? Math.min(input.microBatchSize, input.batchSize) : input.batchSize;
  // Data parallelism splits the batch across GPUs; each GPU still runs at most one micro-batch per pass.
  const gpuMicroBatch = Math.min(microBatch, Math.ceil(input.batchSize / input.gpus));
  const act = (b: number, bytesPerValue: number, dropout: boolean) => [false, true].map((checkpointing) => activationBytes(input, b, { bytesPerValue, dropout, checkpointing }));
  const [trainerAct, trainerActCkpt] = act(microBatch, 4, false);
  // Korthikanti et al.'s published 16-bit figure assumes Megatron's dropout; it is kept as published.
  const [gpuAct, gpuActCkpt] = act(gpuMicroBatch, 2, true);
  const mixed = mixedStates(input.optimizer, shapes);

  return {
    params,
    tokensPerStep: tokensPerStep(input),
    tokens,
    flopsPerToken: fpt,
    totalFlops,
    totalFlopsWithAttention: fpt.total * tokens,
    chinchilla: {
      tokensPerParam,
      regime: regime(tokensPerParam),
      optimal,
      loss: chinchillaLoss(params, tokens),
      optimalLoss: chinchillaLoss(optimal.params, optimal.tokens),
      fit: fitRange(params, tokens),
      optimalFit: fitRange(optimal.params, optimal.tokens),
    },
    memory: {
      microBatch,
      gpuMicroBatch,
      trainer: column(fp32States(input.optimizer, shapes), trainerAct, trainerActCkpt),
      zero: ZERO_STAGES.map((stage) => column(zeroStates(mixed, stage, input.gpus), gpuAct, gpuActCkpt)),
    },
    time: {
      localSeconds: secondsAtThroughput(tokens - (input.tokensDone ?? 0), input.measuredTokensPerSec),
      scaleSeconds: secondsAtScale(fpt.total * tokens, input.gpus, ACCELERATORS[input.accelerator].peakFlops, input.mfu),
    },
  };
}
