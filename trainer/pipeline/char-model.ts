/**
 * A character n-gram language model with interpolated absolute discounting (Kneser–Ney's
 * discounting without its continuation counts), for scoring how much a text looks like the
 * reference text. Text is lower-cased and mapped onto the 63 most frequent characters of the
 * training text plus one "other" symbol, so an n-gram of up to 5 symbols packs into an integer
 * below 2^30.
 */

const BASE = 64;
const DISCOUNT = 0.75;

export interface CharModelOptions {
  /** Longest n-gram, 1–5; 5 captures syllables and short words. */
  order?: number;
  /** Training characters read, spread evenly over the texts, to bound time and memory. */
  maxTrainChars?: number;
}

const STRIDE = 4; // key, count, followTotal, followTypes
const KEY = 0;
const COUNT = 1;
/** As a context: how often something followed this n-gram, and how many distinct symbols did. */
const FOLLOW_TOTAL = 2;
const FOLLOW_TYPES = 3;

/**
 * The n-grams of one length in an open-addressing hash table, each slot holding the key and its
 * counts side by side: scoring is bound by memory latency, and this is one cache miss per lookup.
 */
class GramTable {
  data = new Int32Array(1024 * STRIDE).fill(-1);
  size = 0;

  /** The slot offset of `key`, or of the empty slot where it would go. */
  find(key: number): number {
    const mask = this.data.length / STRIDE - 1;
    let i = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
    for (;;) {
      const k = this.data[i * STRIDE];
      if (k === key || k === -1) return i * STRIDE;
      i = (i + 1) & mask;
    }
  }

  /** Offset of the key's slot if present, else -1. */
  lookup(key: number): number {
    const at = this.find(key);
    return this.data[at] === key ? at : -1;
  }

  increment(key: number): void {
    if ((this.size + 1) * 2 * STRIDE > this.data.length) this.grow();
    const at = this.find(key);
    if (this.data[at] === -1) {
      this.data.fill(0, at, at + STRIDE);
      this.data[at + KEY] = key;
      this.size++;
    }
    this.data[at + COUNT]++;
  }

  private grow(): void {
    const old = this.data;
    this.data = new Int32Array(old.length * 2).fill(-1);
    for (let at = 0; at < old.length; at += STRIDE) {
      if (old[at] !== -1) this.data.set(old.subarray(at, at + STRIDE), this.find(old[at]));
    }
  }
}

export class CharNgramModel {
  private constructor(
    private readonly codes: Uint8Array,
    private readonly order: number,
    /** tables[n] for n = 1..order. */
    private readonly tables: GramTable[],
    private readonly unigramTotal: number,
    /** Alphabet plus "other": the add-one smoothing of the unigrams spreads over these. */
    private readonly symbolCount: number,
  ) {}

  static train(texts: string[], opts: CharModelOptions = {}): CharNgramModel {
    const order = opts.order ?? 5;
    if (!Number.isInteger(order) || order < 1 || order > 5) throw new Error(`n-gram order must be 1–5, got ${order}`);
    const budget = opts.maxTrainChars ?? 2_000_000;
    const per = Math.max(1, Math.ceil(budget / Math.max(1, texts.length)));
    const sample = texts.map((t) => t.slice(0, per).toLowerCase());

    const freq = new Map<number, number>();
    for (const t of sample) for (let i = 0; i < t.length; i++) freq.set(t.charCodeAt(i), (freq.get(t.charCodeAt(i)) ?? 0) + 1);
    // Halves of surrogate pairs (emoji and other astral characters) stay "other".
    const top = [...freq.entries()]
      .filter(([unit]) => unit < 0xd800 || unit > 0xdfff)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, BASE - 1);
    const codes = new Uint8Array(65536); // UTF-16 code unit → symbol, 0 = other
    top.forEach(([unit], i) => (codes[unit] = i + 1));

    const tables = Array.from({ length: order + 1 }, () => new GramTable());
    let total = 0;
    for (const t of sample) {
      const ids = encode(t, codes);
      for (let i = 0; i < ids.length; i++) {
        let key = 0;
        let scale = 1;
        for (let n = 1; n <= order && i - n + 1 >= 0; n++) {
          key += ids[i - n + 1] * scale;
          scale *= BASE;
          tables[n].increment(key);
        }
        total++;
      }
    }
    // Every n-gram's (n−1)-symbol prefix was counted at the previous position, so it is present.
    for (let n = 2; n <= order; n++) {
      const { data } = tables[n];
      const ctxTable = tables[n - 1];
      for (let at = 0; at < data.length; at += STRIDE) {
        if (data[at] === -1) continue;
        const ctx = ctxTable.find(Math.floor(data[at] / BASE));
        ctxTable.data[ctx + FOLLOW_TOTAL] += data[at + COUNT];
        ctxTable.data[ctx + FOLLOW_TYPES]++;
      }
    }
    return new CharNgramModel(codes, order, tables, total, top.length + 1);
  }

  /** The characters the model tells apart (lower-case); every other character is one "other" symbol. */
  get alphabet(): string[] {
    const out: string[] = [];
    this.codes.forEach((id, unit) => {
      if (id) out[id - 1] = String.fromCharCode(unit);
    });
    return out;
  }

  /** P(next | the last order−1 characters of context): the quantity perplexity() averages, one at a time. */
  probability(context: string, next: string): number {
    const ctx = encode(context.toLowerCase(), this.codes);
    const w = encode(next.toLowerCase(), this.codes)[0];
    const { tables, order } = this;
    const uni = tables[1].lookup(w);
    let p = ((uni >= 0 ? tables[1].data[uni + COUNT] : 0) + 1) / (this.unigramTotal + this.symbolCount);
    let ctxKey = 0;
    let scale = 1;
    for (let n = 2; n <= order && ctx.length >= n - 1; n++) {
      ctxKey += ctx[ctx.length - (n - 1)] * scale;
      scale *= BASE;
      const cd = tables[n - 1].data;
      const at = tables[n - 1].lookup(ctxKey);
      if (at < 0 || cd[at + FOLLOW_TOTAL] === 0) break;
      const g = tables[n].lookup(ctxKey * BASE + w);
      const c = g >= 0 ? tables[n].data[g + COUNT] : 0;
      p = (Math.max(c - DISCOUNT, 0) + DISCOUNT * cd[at + FOLLOW_TYPES] * p) / cd[at + FOLLOW_TOTAL];
    }
    return p;
  }

  /**
   * 2^(cross-entropy) per character of `text` (its first `maxChars` characters, which bounds the
   * cost on long documents). Lower is more like the training text; Infinity for empty text.
   */
  perplexity(text: string, maxChars = 8000): number {
    const ids = encode(text.slice(0, maxChars).toLowerCase(), this.codes);
    if (ids.length === 0) return Infinity;
    const { tables, order } = this;
    // Slots of the n-grams ending at the previous position: the contexts at this one.
    let prev = new Int32Array(order + 1).fill(-1);
    let cur = new Int32Array(order + 1);
    let bits = 0;
    for (let i = 0; i < ids.length; i++) {
      const w = ids[i];
      cur.fill(-1);
      const uni = (cur[1] = tables[1].lookup(w));
      let p = ((uni >= 0 ? tables[1].data[uni + COUNT] : 0) + 1) / (this.unigramTotal + this.symbolCount);
      let key = w;
      let scale = BASE;
      for (let n = 2; n <= order && i - n + 1 >= 0; n++) {
        key += ids[i - n + 1] * scale;
        scale *= BASE;
        const ctx = prev[n - 1];
        const cd = tables[n - 1].data;
        if (ctx < 0 || cd[ctx + FOLLOW_TOTAL] === 0) break; // longer contexts are unseen too
        const at = (cur[n] = tables[n].lookup(key));
        const c = at >= 0 ? tables[n].data[at + COUNT] : 0;
        p = (Math.max(c - DISCOUNT, 0) + DISCOUNT * cd[ctx + FOLLOW_TYPES] * p) / cd[ctx + FOLLOW_TOTAL];
      }
      bits -= Math.log2(p);
      const t = prev;
      prev = cur;
      cur = t;
    }
    return 2 ** (bits / ids.length);
  }
}

function encode(text: string, codes: Uint8Array): Uint8Array {
  const ids = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) ids[i] = codes[text.charCodeAt(i)];
  return ids;
}
