/**
 * Byte-level BPE (GPT-2 style): trainer, encoder, decoder, and Hugging Face `tokenizer.json`.
 *
 * Id layout of a trained tokenizer: 0..255 are the byte tokens in byte order, then one id per
 * new token in the order its merge was learnt, then END_OF_TEXT last (eotId = vocabSize - 1).
 * A loaded file keeps its own ids (GPT-2's byte tokens are not in byte order, for example).
 * The vocabulary size rule is in vocab.ts, the file format in tokenizer-json.ts.
 */
import { specialToken, splitAddedTokens } from "./added-tokens";
import { BYTE_TO_CHAR, charsToBytes, forEachPretoken } from "./byte-level";
import { learnMerges } from "./learn-merges";
import { PairHeap } from "./pair-heap";
import { type Parts, partsFromJson, partsToJson } from "./tokenizer-json";
import { END_OF_TEXT, MAX_VOCAB_SIZE, MIN_VOCAB_SIZE } from "./vocab";

/** Distinct words whose ids are kept: the 5.7 MB Brown corpus has 53k, Brown + nlp-corpus (14 MB) 101k. */
const CACHE_ENTRIES = 100_000;
/** Longer words are not cached: they are rare and would pin memory. */
const CACHE_MAX_WORD = 64;
/** Above this many bytes a word is merged with a heap (n log n) instead of rescanning per merge (n²). */
const LONG_WORD = 128;

const utf8Encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF; by default TextDecoder strips it and decode would not invert encode.
const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });

export interface TrainOptions {
  /** Target vocabulary size, including the 256 byte tokens and END_OF_TEXT; 256..16384. */
  vocabSize: number;
  /** A pair seen fewer times than this is never merged (default 2: a pair seen once is memorisation). */
  minFrequency?: number;
  /** Called after each new token with (new tokens so far, new tokens wanted). */
  onProgress?(merges: number, target: number): void;
}

export class BpeTokenizer {
  readonly vocabSize: number;
  readonly eotId: number;
  private readonly parts: Parts;
  private readonly bytes: Uint8Array[];
  private readonly byteIds = new Int32Array(256);
  /** Byte-level token string → id, for `ignore_merges` and loading. */
  private readonly tokenIds = new Map<string, number>();
  /** (left * vocabSize + right) → rank. */
  private readonly ranks = new Map<number, number>();
  private readonly mergeResult: Int32Array;
  private readonly cache = new Map<string, number[]>();

  private constructor(parts: Parts) {
    this.parts = parts;
    const { tokens, merges, added } = parts;
    this.vocabSize = tokens.length;
    const addedIds = new Set(added.map((t) => t.id));
    this.bytes = tokens.map((t, id) => {
      if (addedIds.has(id)) return utf8Encoder.encode(t);
      const b = charsToBytes(t);
      if (!b) throw new Error(`token ${JSON.stringify(t)} (id ${id}) is not a byte-level token`);
      this.tokenIds.set(t, id);
      return b;
    });
    const eot = added.find((t) => t.content === END_OF_TEXT);
    if (!eot) throw new Error(`the vocabulary has no ${END_OF_TEXT} token`);
    this.eotId = eot.id;
    for (let b = 0; b < 256; b++) {
      const id = this.tokenIds.get(BYTE_TO_CHAR[b]);
      if (id === undefined) throw new Error(`the vocabulary lacks the token for byte 0x${b.toString(16).padStart(2, "0")}`);
      this.byteIds[b] = id;
    }
    this.mergeResult = new Int32Array(merges.length);
    merges.forEach(([a, b], rank) => {
      const result = this.tokenIds.get(tokens[a] + tokens[b]);
      if (result === undefined || addedIds.has(a) || addedIds.has(b))
        throw new Error(`merge ${rank} (${JSON.stringify(tokens[a])} ${JSON.stringify(tokens[b])}) makes no vocabulary token`);
      this.mergeResult[rank] = result;
      const key = a * this.vocabSize + b;
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
  }

  static train(texts: Iterable<string>, opts: TrainOptions): BpeTokenizer {
    const { vocabSize, minFrequency = 2 } = opts;
    if (!Number.isInteger(vocabSize) || vocabSize < 256 || vocabSize > MAX_VOCAB_SIZE)
      throw new RangeError(`vocabSize must be an integer in 256..${MAX_VOCAB_SIZE}, got ${vocabSize}`);
    if (!(minFrequency >= 1)) throw new RangeError(`minFrequency must be at least 1, got ${minFrequency}`);
    const wanted = Math.max(0, vocabSize - MIN_VOCAB_SIZE);
    const { tokens, merges } = learnMerges(texts, wanted, minFrequency, opts.onProgress);
    tokens.push(END_OF_TEXT);
    return new BpeTokenizer({ tokens, merges, added: [specialToken(tokens.length - 1, END_OF_TEXT)], addedOnly: new Set(), ignoreMerges: false });
  }

  /** Merges in rank order; more than vocabSize - 257 when two merges spell the same token. */
  get mergeCount(): number {
    return this.parts.merges.length;
  }

  /** The bytes that `id` decodes to. */
  tokenBytes(id: number): Uint8Array {
    const b = this.bytes[id];
    if (!b) throw new RangeError(`token id ${id} is outside 0..${this.vocabSize - 1}`);
    return b;
  }

  /** The token's string as tokenizer.json spells it ("Ġthe" for " the"). */
  tokenString(id: number): string {
    this.tokenBytes(id);
    return this.parts.tokens[id];
  }

  isSpecial(id: number): boolean {
    return this.parts.added.some((t) => t.id === id && t.special);
  }

  /** Ordinary text: "<|endoftext|>" in it is its bytes, never eotId (the pipeline separates documents by id). */
  encode(text: string): number[] {
    return this.encodeInto(text, []);
  }

  /** What Hugging Face's encode gives for our tokenizer.json: added tokens in the text become their ids. */
  encodeWithAddedTokens(text: string): number[] {
    const out: number[] = [];
    for (const piece of splitAddedTokens(text, this.parts.added)) if (typeof piece === "number") out.push(piece); else this.encodeInto(piece, out);
    return out;
  }

  private encodeInto(text: string, out: number[]): number[] {
    forEachPretoken(text, (word) => {
      const ids = this.encodeWord(word);
      for (let i = 0; i < ids.length; i++) out.push(ids[i]);
    });
    return out;
  }

  /** UTF-8 decode of the tokens' bytes; a sequence cut inside a character decodes to U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    let length = 0;
    for (let i = 0; i < ids.length; i++) length += this.tokenBytes(ids[i]).length;
    const buf = new Uint8Array(length);
    for (let i = 0, at = 0; i < ids.length; i++) {
      const b = this.bytes[ids[i]];
      buf.set(b, at);
      at += b.length;
    }
    return utf8Decoder.decode(buf);
  }

  private encodeWord(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const ids = this.bpe(utf8Encoder.encode(word));
    if (word.length <= CACHE_MAX_WORD) {
      // Insertion-ordered Map: dropping the first key evicts the oldest entry.
      if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(word, ids);
    }
    return ids;
  }

  private bpe(bytes: Uint8Array): number[] {
    if (this.parts.ignoreMerges) {
      let s = "";
      for (const b of bytes) s += BYTE_TO_CHAR[b];
      const whole = this.tokenIds.get(s);
      if (whole !== undefined) return [whole];
    }
    const sym = Array.from(bytes, (b) => this.byteIds[b]);
    return sym.length > LONG_WORD ? this.bpeLong(sym) : this.bpeShort(sym);
  }

  /** Merges every occurrence of the lowest-ranked pair, left to right, until no pair has a rank. */
  private bpeShort(sym: number[]): number[] {
    const { ranks, vocabSize: n } = this;
    while (sym.length > 1) {
      let best = Infinity;
      for (let i = 0; i + 1 < sym.length; i++) {
        const r = ranks.get(sym[i] * n + sym[i + 1]);
        if (r !== undefined && r < best) best = r;
      }
      if (best === Infinity) break;
      const [a, b] = this.parts.merges[best];
      const result = this.mergeResult[best];
      let j = 0;
      for (let i = 0; i < sym.length; ) {
        if (sym[i] === a && sym[i + 1] === b) {
          sym[j++] = result;
          i += 2;
        } else sym[j++] = sym[i++];
      }
      sym.length = j;
    }
    return sym;
  }

  /** Same result as bpeShort: a heap of (rank, position) over a linked list of symbols. */
  private bpeLong(sym: number[]): number[] {
    const { ranks, vocabSize: n } = this;
    const len = sym.length;
    const next = new Int32Array(len);
    const prev = new Int32Array(len);
    for (let i = 0; i < len; i++) {
      next[i] = i + 1 < len ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new PairHeap();
    const offer = (i: number) => {
      if (i < 0 || next[i] < 0) return;
      const r = ranks.get(sym[i] * n + sym[next[i]]);
      if (r !== undefined) heap.push(r, i);
    };
    for (let i = 0; i < len; i++) offer(i);
    while (heap.pop()) {
      const rank = heap.primary;
      const i = heap.secondary;
      // Stale when the symbol was absorbed (-1) or its pair changed since the entry was pushed.
      if (sym[i] < 0 || next[i] < 0 || ranks.get(sym[i] * n + sym[next[i]]) !== rank) continue;
      const j = next[i];
      sym[i] = this.mergeResult[rank];
      sym[j] = -1;
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      offer(prev[i]);
      offer(i);
    }
    return sym.filter((s) => s >= 0);
  }

  /** Hugging Face `tokenizer.json`. Merges are written as [left, right] pairs, the form tokenizers ≥ 0.20 writes. */
  toJSON(): object {
    return partsToJson(this.parts);
  }

  /**
   * Loads what toJSON wrote, or a GPT-2-style file (merges as "a b" strings, its own id order).
   * Accepts the parsed object or the file's text. Throws an Error starting "invalid tokenizer.json".
   */
  static fromJSON(json: unknown): BpeTokenizer {
    try {
      return new BpeTokenizer(partsFromJson(typeof json === "string" ? JSON.parse(json) : json));
    } catch (e) {
      throw new Error(`invalid tokenizer.json: ${(e as Error).message}`, { cause: e });
    }
  }
}

