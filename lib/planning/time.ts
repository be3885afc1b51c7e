/** Dense (no sparsity) BF16 tensor-core peaks from NVIDIA's data sheets, and memory per GPU. */
export const ACCELERATORS = {
  a100: { label: "A100 80GB", peakFlops: 312e12, memoryBytes: 80e9 },
  h100: { label: "H100 SXM", peakFlops: 989e12, memoryBytes: 80e9 },
} as const;
export type Accelerator = keyof typeof ACCELERATORS;

/** Model FLOPs utilisation well-tuned large runs reach (PaLM reported 46%, GPT-3 about 21%). */
export const DEFAULT_MFU = 0.4;

/** Seconds to train `tokens` more tokens at a measured throughput; null when none is known. */
export function secondsAtThroughput(tokens: number, tokensPerSec: number | null): number | null {
  if (tokensPerSec === null || !(tokensPerSec > 0)) return null;
  return Math.max(0, tokens) / tokensPerSec;
}

/** Seconds for `flops` model FLOPs on `gpus` accelerators of `peakFlops` each, at utilisation `mfu`. */
export function secondsAtScale(flops: number, gpus: number, peakFlops: number, mfu: number): number {
  return flops / (gpus * peakFlops * mfu);
}
