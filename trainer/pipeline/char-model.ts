/**
 * A character n-gram language model with interpolated absolute discounting (Kneser–Ney's
 * discounting without its continuation counts), for scoring how much a text looks like the
 * reference text. Text is lower-cased and mapped onto the 63 most frequent characters of the
 * training text plus one "other" symbol, so an n-gram of up to 5 symbols packs into a small
 * integer (64^5 = 2^30) and the count tables are plain Maps with fast integer keys.
 */

const BASE = 64;
const OTHER = 0;
const DISCOUNT = 0.75;

export interface CharModelOptions {
  /** Longest n-gram, 1–5; 5 captures syllables and short words. */
  order?: number;
  /** Training characters read, spread evenly over the texts, to bound time and memory. */
  maxTrainChars?: number;
}

export class CharNgramModel {
  private constructor(
    private readonly alphabet: Map<string, number>,
    private readonly order: number,
    /** grams[n]: count of each n-gram (n ≥ 1). */
    private readonly grams: Map<number, number>[],
    /** contexts[n]: for the (n−1)-symbol context of n-grams, [total count, distinct continuations]. */
    private readonly contexts: Map<number, [number, number]>[],
    private readonly unigramTotal: number,
  ) {}

  static train(texts: string[], opts: CharModelOptions = {}): CharNgramModel {
    const order = opts.order ?? 5;
    if (!Number.isInteger(order) || order < 1 || order > 5) throw new Error(`n-gram order must be 1–5, got ${order}`);
    const budget = opts.maxTrainChars ?? 2_000_000;
    const per = Math.max(1, Math.ceil(budget / Math.max(1, texts.length)));
    const sample = texts.map((t) => t.slice(0, per).toLowerCase());

    const freq = new Map<string, number>();
    for (const t of sample) for (const ch of t) freq.set(ch, (freq.get(ch) ?? 0) + 1);
    const top = [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, BASE - 1);
    const alphabet = new Map(top.map(([ch], i) => [ch, i + 1]));

    const grams = Array.from({ length: order + 1 }, () => new Map<number, number>());
    let total = 0;
    for (const t of sample) {
      const ids = encode(t, alphabet);
      for (let i = 0; i < ids.length; i++) {
        let key = 0;
        let scale = 1;
        for (let n = 1; n <= order && i - n + 1 >= 0; n++) {
          key += ids[i - n + 1] * scale;
          scale *= BASE;
          grams[n].set(key, (grams[n].get(key) ?? 0) + 1);
        }
        total++;
      }
    }
    const contexts = Array.from({ length: order + 1 }, () => new Map<number, [number, number]>());
    for (let n = 2; n <= order; n++) {
      for (const [key, c] of grams[n]) {
        const ctx = Math.floor(key / BASE);
        const s = contexts[n].get(ctx);
        if (s) {
          s[0] += c;
          s[1]++;
        } else contexts[n].set(ctx, [c, 1]);
      }
    }
    return new CharNgramModel(alphabet, order, grams, contexts, total);
  }

  /**
   * 2^(cross-entropy) per character of `text` (its first `maxChars` characters, which bounds the
   * cost on long documents). Lower is more like the training text; Infinity for empty text.
   */
  perplexity(text: string, maxChars = 8000): number {
    const ids = encode(text.slice(0, maxChars).toLowerCase(), this.alphabet);
    if (ids.length === 0) return Infinity;
    let bits = 0;
    for (let i = 0; i < ids.length; i++) {
      const w = ids[i];
      let p = ((this.grams[1].get(w) ?? 0) + 1) / (this.unigramTotal + BASE);
      let ctx = 0;
      let scale = 1;
      for (let n = 2; n <= this.order && i - n + 1 >= 0; n++) {
        ctx += ids[i - n + 1] * scale;
        scale *= BASE;
        const s = this.contexts[n].get(ctx);
        if (!s) break; // a longer context containing this one is unseen too
        const c = this.grams[n].get(ctx * BASE + w) ?? 0;
        p = (Math.max(c - DISCOUNT, 0) + DISCOUNT * s[1] * p) / s[0];
      }
      bits -= Math.log2(p);
    }
    return 2 ** (bits / ids.length);
  }
}

function encode(text: string, alphabet: Map<string, number>): Uint8Array {
  const chars = [...text];
  const ids = new Uint8Array(chars.length);
  for (let i = 0; i < chars.length; i++) ids[i] = alphabet.get(chars[i]) ?? OTHER;
  return ids;
}
