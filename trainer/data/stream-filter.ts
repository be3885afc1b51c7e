// A token stream with some ranges cut out, and the maps between kept and original positions.

export interface FilteredStream {
  tokens: Uint16Array;
  /** Original position of each kept token, ascending; null when nothing was cut. */
  origin: Uint32Array | null;
  /** Tokens cut. */
  removed: number;
}

/** `ranges`: [start, start + length) in the original stream; they may overlap and come in any order. */
export function filterStream(tokens: Uint16Array, ranges: { start: number; length: number }[]): FilteredStream {
  if (ranges.length === 0) return { tokens, origin: null, removed: 0 };
  for (const r of ranges)
    if (r.start + r.length > tokens.length) throw new Error(`excluded tokens ${r.start}..${r.start + r.length} lie outside the stream's ${tokens.length} tokens`);
  const cut = new Uint8Array(tokens.length);
  for (const r of ranges) cut.fill(1, r.start, r.start + r.length);
  let kept = 0;
  for (let i = 0; i < cut.length; i++) kept += cut[i] ^ 1;
  const out = new Uint16Array(kept);
  const origin = new Uint32Array(kept);
  for (let i = 0, j = 0; i < tokens.length; i++)
    if (!cut[i]) {
      out[j] = tokens[i];
      origin[j++] = i;
    }
  return { tokens: out, origin, removed: tokens.length - kept };
}

/** The original position of filtered position `i`. */
export const toOriginal = (origin: Uint32Array | null, i: number) => (origin ? origin[i] : i);

/**
 * The filtered position of original position `o`: the first kept token at or after it, so a
 * cursor inside an excluded document goes on just past it; past the last kept token it wraps to 0.
 */
export function fromOriginal(origin: Uint32Array | null, o: number): number {
  if (!origin) return o;
  let lo = 0;
  let hi = origin.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (origin[mid] < o) lo = mid + 1;
    else hi = mid;
  }
  return lo === origin.length ? 0 : lo;
}
