/**
 * Cuts excluded documents out of a domain's train stream, keeping where each kept token came
 * from, so that positions (cursors in checkpoints, document ids in forensics) stay in the stream
 * as prepared whatever a run leaves out.
 */
import type { Exclusion } from "../lib/exclusion";
import type { MixtureDomain } from "./mixture";

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

/**
 * The run's domains minus its exclusion: excluded domains leave the mixture (weight 0), excluded
 * documents leave their domain's stream. `known`: every domain of the dataset, for the errors.
 */
export function excludeData(domains: MixtureDomain[], exclude: Exclusion, known: string[]): MixtureDomain[] {
  const unknown = [...exclude.domains, ...exclude.documents.map((d) => d.domain)].filter((d) => !known.includes(d));
  if (unknown.length > 0) throw new Error(`exclude names ${[...new Set(unknown)].join(", ")}; the dataset has the domains ${known.join(", ")}`);
  return domains
    .filter((d) => !exclude.domains.includes(d.name))
    .map((d) => {
      const ranges = exclude.documents.filter((x) => x.domain === d.name);
      if (ranges.length === 0) return d;
      for (const r of ranges)
        if (r.start + r.length > d.train.length)
          throw new Error(`exclude: tokens ${r.start}..${r.start + r.length} lie outside domain ${d.name}'s ${d.train.length} training tokens`);
      const { tokens, origin } = filterStream(d.train, ranges);
      if (tokens.length < 2) throw new Error(`exclude leaves domain ${d.name} ${tokens.length} training tokens; exclude the domain instead`);
      return { ...d, train: tokens, origin, originalLength: d.train.length };
    });
}
