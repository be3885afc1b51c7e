import type { ModelShape } from "../estimates";

export interface ActivationShape extends ModelShape {
  nHead: number;
}

export interface ActivationOptions {
  /** Bytes of each stored value: 2 for 16-bit training, 4 for this trainer's fp32. */
  bytesPerValue: number;
  /** Dropout stores a 1-byte mask per element it drops and its own output; this trainer has none. */
  dropout: boolean;
  /** Full recomputation: keep only each block's input and rebuild one block at a time in backward. */
  checkpointing: boolean;
}

/**
 * Activation bytes one transformer layer keeps for backward, after Korthikanti et al. 2022
 * ("Reducing Activation Recomputation in Large Transformer Models", §4.1, no tensor parallelism):
 * s·b·h·(34 + 5·a·s/h) at 16 bits with dropout. Counted by value, that is 16·s·b·h values (QKV,
 * Q, K, V, projection, MLP and norm inputs, 4h-wide GELU in and out) plus 2 dropout masks of s·b·h
 * bytes, and the a·s²·b softmax output plus, with dropout, its mask and the dropped copy. With e
 * bytes a value:
 *   s·b·h·(16e + 2·mask) + a·s²·b·(e·(1 + dropout) + mask)
 * which gives back 34 and 5 at e = 2 with dropout.
 */
export function layerActivationBytes(s: number, b: number, h: number, a: number, o: Omit<ActivationOptions, "checkpointing">): number {
  const e = o.bytesPerValue;
  const mask = o.dropout ? 1 : 0;
  return s * b * h * (16 * e + 2 * mask) + a * s * s * b * (e * (1 + mask) + mask);
}

/**
 * Peak activation bytes of one forward/backward pass over `microBatch` sequences. Besides the L
 * layers, the output layers keep 4·s·b·h·(1 + v/h) bytes (§4.3: final norm and LM-head inputs,
 * and the fp32 logits, 4·s·b·v). With full recomputation the layers keep only their inputs
 * (s·b·h values each, the paper's 2·s·b·h·L at 16 bits), and backward rebuilds one layer at a
 * time, which adds one layer's worth to the peak.
 */
export function activationBytes(c: ActivationShape, microBatch: number, o: ActivationOptions): number {
  const s = c.contextLength;
  const b = microBatch;
  const h = c.dModel;
  const layer = layerActivationBytes(s, b, h, c.nHead, o);
  const output = 2 * o.bytesPerValue * s * b * h + 4 * s * b * c.vocabSize;
  const layers = o.checkpointing ? c.nLayer * o.bytesPerValue * s * b * h + layer : c.nLayer * layer;
  return layers + output;
}
