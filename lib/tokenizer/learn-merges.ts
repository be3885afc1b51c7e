import { BYTE_TO_CHAR, forEachPretoken } from "./byte-level";
import { PairHeap } from "./pair-heap";
import { MAX_VOCAB_SIZE } from "./vocab";

const utf8Encoder = new TextEncoder();

/** Trained ids stay below MAX_VOCAB_SIZE, so a pair key fits a small integer. */
const SPAN = MAX_VOCAB_SIZE;

/**
 * Learns up to `wanted` new tokens. Each word of the corpus is a symbol sequence weighted by
 * its count; per merge only the words that hold the pair are touched, and only the pairs next
 * to each merge site change count. The heap is lazy: an entry whose count is out of date is
 * re-queued when popped, and a pair whose count grew gets a fresh entry. Ties on count go to the
 * smaller (left id, right id): the pair of older tokens, and bytes in byte order.
 */
export function learnMerges(
  texts: Iterable<string>,
  wanted: number,
  minFrequency: number,
  onProgress?: (merges: number, target: number) => void,
): { tokens: string[]; merges: [number, number][] } {
  const wordCounts = new Map<string, number>();
  for (const text of texts) forEachPretoken(text, (w) => wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1));
  const words: number[][] = [];
  const freq: number[] = [];
  for (const [w, c] of wordCounts) {
    words.push(Array.from(utf8Encoder.encode(w)));
    freq.push(c);
  }
  wordCounts.clear();

  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const grown = new Set<number>();
  const bump = (key: number, delta: number, w: number) => {
    const c = (pairCount.get(key) ?? 0) + delta;
    if (c === 0) pairCount.delete(key);
    else pairCount.set(key, c);
    if (delta > 0) {
      let set = where.get(key);
      if (!set) where.set(key, (set = new Set()));
      set.add(w);
      grown.add(key);
    }
  };
  words.forEach((sym, w) => {
    for (let i = 0; i + 1 < sym.length; i++) bump(sym[i] * SPAN + sym[i + 1], freq[w], w);
  });
  grown.clear();
  const heap = new PairHeap();
  for (const [key, c] of pairCount) heap.push(-c, key);

  const tokens = BYTE_TO_CHAR.slice();
  const ids = new Map(tokens.map((t, id) => [t, id]));
  const merges: [number, number][] = [];
  while (tokens.length < 256 + wanted && heap.pop()) {
    const key = heap.secondary;
    const queued = -heap.primary;
    const count = pairCount.get(key) ?? 0;
    if (count !== queued) {
      // A count that grew already has its own entry; one that shrank goes back in.
      if (count > 0 && count < queued) heap.push(-count, key);
      continue;
    }
    if (count < minFrequency) break;
    const a = Math.floor(key / SPAN);
    const b = key % SPAN;
    const spelled = tokens[a] + tokens[b];
    // Two different pairs can spell the same string ("a"+"bc", "ab"+"c"); they share one id.
    let id = ids.get(spelled);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(spelled);
      ids.set(spelled, id);
      onProgress?.(tokens.length - 256, wanted);
    }
    merges.push([a, b]);
    for (const w of where.get(key)!) {
      const sym = words[w];
      const c = freq[w];
      let j = 0;
      for (let i = 0; i < sym.length; ) {
        if (sym[i] === a && sym[i + 1] === b) {
          // sym[j - 1] is already rewritten (it may be the new token); sym[i + 2] is not yet.
          if (j > 0) {
            bump(sym[j - 1] * SPAN + a, -c, w);
            bump(sym[j - 1] * SPAN + id, c, w);
          }
          if (i + 2 < sym.length) {
            bump(b * SPAN + sym[i + 2], -c, w);
            bump(id * SPAN + sym[i + 2], c, w);
          }
          sym[j++] = id;
          i += 2;
        } else sym[j++] = sym[i++];
      }
      sym.length = j;
    }
    where.delete(key);
    pairCount.delete(key);
    for (const k of grown) {
      const c = pairCount.get(k);
      if (c) heap.push(-c, k);
    }
    grown.clear();
  }
  return { tokens, merges };
}
