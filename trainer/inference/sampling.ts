import type { Rng } from "../../lib/rng";

/** Index of the largest logit; the lowest id wins a tie. */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Ids of the k largest logits, ascending by id; ties at the cut go to the lower ids, as in argmax. */
export function topKIds(logits: Float32Array, k: number): number[] {
  const V = logits.length;
  if (k >= V) return Array.from({ length: V }, (_, i) => i);
  // A typed-array sort is native and numeric: faster than sorting ids with a comparator.
  const threshold = Float32Array.from(logits).sort()[V - k];
  const ids: number[] = [];
  for (let i = 0; i < V; i++) if (logits[i] > threshold) ids.push(i);
  for (let i = 0; i < V && ids.length < k; i++) if (logits[i] === threshold) ids.push(i);
  return ids.sort((a, b) => a - b);
}

/**
 * Draws the next token: argmax at temperature 0, else from softmax(logits / temperature) over the
 * topK most likely tokens (0 = all). With topK 1 this is argmax whatever the temperature.
 */
export function sampleToken(logits: Float32Array, temperature: number, topK: number, rng: Rng): number {
  for (let i = 0; i < logits.length; i++)
    if (Number.isNaN(logits[i])) throw new Error(`the model produced a NaN logit (token ${i}); the checkpoint's weights have diverged`);
  if (temperature === 0) return argmax(logits);
  const ids = topKIds(logits, topK > 0 ? topK : logits.length);
  let max = -Infinity;
  for (const id of ids) max = Math.max(max, logits[id]);
  const weights = ids.map((id) => Math.exp((logits[id] - max) / temperature));
  let u = rng.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < ids.length; i++) {
    u -= weights[i];
    if (u < 0) return ids[i];
  }
  return ids[ids.length - 1]; // u can stay at 0 after rounding
}
