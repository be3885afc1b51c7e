/**
 * MinHash signatures over word shingles, and the LSH banding that finds candidate pairs. All
 * hashing is 32-bit integer arithmetic on typed arrays, so ~30k documents sign in seconds.
 */

/** FNV-1a over UTF-16 code units, then a murmur3 finaliser so low and high bits are both mixed. */
function hashString(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Lower-cased runs of letters and digits: punctuation and spacing changes do not matter. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];
}

/** Hashes of the word k-grams of a text (one shingle of all words when there are fewer than k). */
export function shingleHashes(text: string, k: number): Uint32Array {
  const w = words(text).map((x) => hashString(x, 0));
  if (w.length === 0) return new Uint32Array(0);
  const n = Math.max(1, w.length - k + 1);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0x9747b28c;
    for (let j = i; j < Math.min(i + k, w.length); j++) h = Math.imul(h ^ w[j], 0x01000193) ^ (h >>> 15);
    out[i] = fmix32(h);
  }
  return out;
}

/** mulberry32: a tiny deterministic generator for the permutation parameters. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export class MinHasher {
  private readonly mul: Uint32Array;
  private readonly xor: Uint32Array;

  constructor(readonly numPerm: number, seed = 0x5eed) {
    const next = generator(seed);
    this.mul = new Uint32Array(numPerm).map(() => next() | 1);
    this.xor = new Uint32Array(numPerm).map(() => next());
  }

  /**
   * Writes the signature of a shingle set into `out` at `offset`. Each "permutation" is the
   * bijection x → mix(x ^ b) · a with a odd, over already well-mixed shingle hashes.
   */
  sign(shingles: Uint32Array, out: Uint32Array, offset = 0): void {
    // Permutation-major: the running minimum and the permutation's constants stay in registers
    // while the shingles (a few KB) stream from cache.
    for (let i = 0; i < this.numPerm; i++) {
      const a = this.mul[i];
      const b = this.xor[i];
      let min = 0xffffffff;
      for (let s = 0; s < shingles.length; s++) {
        let v = Math.imul(shingles[s] ^ b, a);
        v = (v ^ (v >>> 16)) >>> 0;
        if (v < min) min = v;
      }
      out[offset + i] = min;
    }
  }
}

/** Share of equal positions of two signatures: the MinHash estimate of their Jaccard similarity. */
export function estimateJaccard(sig: Uint32Array, a: number, b: number, numPerm: number): number {
  let same = 0;
  const oa = a * numPerm;
  const ob = b * numPerm;
  for (let i = 0; i < numPerm; i++) if (sig[oa + i] === sig[ob + i]) same++;
  return same / numPerm;
}

/** Similarity where the banding S-curve 1 − (1 − s^r)^b rises steepest, approximately. */
export const sCurveThreshold = (bands: number, rows: number) => (1 / bands) ** (1 / rows);

/**
 * Bands × rows for LSH: the pair whose S-curve threshold is nearest `jaccard`. Products up to
 * numPerm are allowed (the leftover signature rows are still used when verifying), because
 * requiring b·r = numPerm leaves few choices: for 128 the thresholds jump from 0.71 (16×8) to
 * 0.88 (8×16), and 0.88 would miss most pairs near 0.8. Ties go to the larger product.
 */
export function chooseBands(numPerm: number, jaccard: number): { bands: number; rows: number; threshold: number } {
  let best = { bands: numPerm, rows: 1, threshold: sCurveThreshold(numPerm, 1) };
  for (let rows = 1; rows <= numPerm; rows++) {
    const bands = Math.floor(numPerm / rows);
    const threshold = sCurveThreshold(bands, rows);
    const d = Math.abs(threshold - jaccard);
    const bestD = Math.abs(best.threshold - jaccard);
    if (d < bestD - 1e-12 || (Math.abs(d - bestD) <= 1e-12 && bands * rows > best.bands * best.rows)) best = { bands, rows, threshold };
  }
  return best;
}

/** A 32-bit key for one band of a signature; collisions only add candidates, which are verified. */
export function bandKey(sig: Uint32Array, offset: number, rows: number): number {
  let h = 0x2545f491;
  for (let i = 0; i < rows; i++) h = Math.imul(h ^ sig[offset + i], 0x01000193) ^ (h >>> 13);
  return fmix32(h);
}
