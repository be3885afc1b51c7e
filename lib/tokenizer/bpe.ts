/**
 * Byte-level BPE (GPT-2 style): trainer, encoder, decoder, and Hugging Face `tokenizer.json`.
 *
 * Id layout of a trained tokenizer: 0..255 are the byte tokens in byte order, then one id per
 * new token in the order its merge was learnt, then END_OF_TEXT last (eotId = vocabSize - 1).
 * A loaded file keeps its own ids (GPT-2's byte tokens are not in byte order, for example).
 *
 * Vocabulary size rule: the vocabulary always holds the 256 bytes and END_OF_TEXT, so the
 * smallest real vocabulary is 257. A requested vocabSize of 256 or 257 means "no merges" and
 * gives 257 tokens with eotId 256. Read the size back from `vocabSize`, never from the request.
 */
import { z } from "zod";
import { AddedTokenJson, addedTokenToJson, specialToken, splitAddedTokens, type AddedToken } from "./added-tokens";
import { BYTE_TO_CHAR, charsToBytes, forEachPretoken } from "./byte-level";

export const END_OF_TEXT = "<|endoftext|>";
export const MIN_VOCAB_SIZE = 257;
export const MAX_VOCAB_SIZE = 16384;

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

interface Parts {
  /** id → token string: byte-level characters, or the content of an added token. */
  tokens: string[];
  /** In rank order, as pairs of ids. */
  merges: [number, number][];
  added: AddedToken[];
  /** Ids that were only in `added_tokens`, not in `model.vocab`. */
  addedOnly: Set<number>;
  ignoreMerges: boolean;
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
    const { tokens, merges, added, addedOnly, ignoreMerges } = this.parts;
    const vocab: Record<string, number> = {};
    tokens.forEach((t, id) => {
      if (!addedOnly.has(id)) vocab[t] = id;
    });
    const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
    return {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: added.map(addedTokenToJson),
      normalizer: null,
      pre_tokenizer: byteLevel,
      post_processor: byteLevel,
      decoder: byteLevel,
      model: {
        type: "BPE",
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: ignoreMerges,
        vocab,
        merges: merges.map(([a, b]) => [tokens[a], tokens[b]]),
      },
    };
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

/** Binary min-heap on (primary, secondary) number pairs; the popped pair is left in primary/secondary. */
class PairHeap {
  private p: number[] = [];
  private s: number[] = [];
  primary = 0;
  secondary = 0;

  private less(i: number, j: number): boolean {
    return this.p[i] < this.p[j] || (this.p[i] === this.p[j] && this.s[i] < this.s[j]);
  }

  private swap(i: number, j: number): void {
    const { p, s } = this;
    [p[i], p[j]] = [p[j], p[i]];
    [s[i], s[j]] = [s[j], s[i]];
  }

  push(primary: number, secondary: number): void {
    let i = this.p.length;
    this.p.push(primary);
    this.s.push(secondary);
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.less(i, up)) break;
      this.swap(i, up);
      i = up;
    }
  }

  pop(): boolean {
    const { p, s } = this;
    if (p.length === 0) return false;
    this.primary = p[0];
    this.secondary = s[0];
    const lastP = p.pop()!;
    const lastS = s.pop()!;
    if (p.length === 0) return true;
    p[0] = lastP;
    s[0] = lastS;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      let m = i;
      if (l < p.length && this.less(l, m)) m = l;
      if (l + 1 < p.length && this.less(l + 1, m)) m = l + 1;
      if (m === i) return true;
      this.swap(i, m);
      i = m;
    }
  }
}

/** Trained ids stay below MAX_VOCAB_SIZE, so a pair key fits a small integer. */
const SPAN = MAX_VOCAB_SIZE;

/**
 * Learns up to `wanted` new tokens. Each word of the corpus is a symbol sequence weighted by
 * its count; per merge only the words that hold the pair are touched, and only the pairs next
 * to each merge site change count. The heap is lazy: an entry whose count is out of date is
 * re-queued when popped, and a pair whose count grew gets a fresh entry. Ties on count go to the
 * smaller (left id, right id): the pair of older tokens, and bytes in byte order.
 */
function learnMerges(
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

const ByteLevelStep = z.looseObject({
  type: z.literal("ByteLevel"),
  add_prefix_space: z.literal(false, { error: "add_prefix_space true is not supported" }).optional(),
  use_regex: z.literal(true, { error: "use_regex false is not supported" }).optional(),
});

const TokenizerJson = z.looseObject({
  version: z.string().optional(),
  added_tokens: z.array(AddedTokenJson).default([]),
  normalizer: z.null({ error: "only a null normalizer is supported" }).optional(),
  pre_tokenizer: ByteLevelStep,
  // Byte-level decoding ignores the decoder's options; GPT-2's file sets add_prefix_space true there.
  decoder: z.looseObject({ type: z.literal("ByteLevel") }).nullable().optional(),
  model: z.looseObject({
    type: z.literal("BPE").optional(),
    dropout: z.union([z.null(), z.literal(0)], { error: "BPE dropout is not supported" }).optional(),
    continuing_subword_prefix: z.union([z.null(), z.literal("")], { error: "continuing_subword_prefix is not supported" }).optional(),
    end_of_word_suffix: z.union([z.null(), z.literal("")], { error: "end_of_word_suffix is not supported" }).optional(),
    byte_fallback: z.literal(false, { error: "byte_fallback is not supported" }).optional(),
    ignore_merges: z.boolean().default(false),
    vocab: z.record(z.string(), z.number().int().min(0)),
    merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])),
  }),
});

function partsFromJson(raw: unknown): Parts {
  const parsed = TokenizerJson.safeParse(raw);
  if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
  const { model, added_tokens } = parsed.data;
  const tokens: string[] = [];
  const place = (token: string, id: number) => {
    if (tokens[id] !== undefined && tokens[id] !== token)
      throw new Error(`id ${id} is both ${JSON.stringify(tokens[id])} and ${JSON.stringify(token)}`);
    tokens[id] = token;
  };
  for (const [token, id] of Object.entries(model.vocab)) place(token, id);
  const inVocab = new Set(Object.values(model.vocab));
  const addedOnly = new Set<number>();
  for (const t of added_tokens) {
    if (!inVocab.has(t.id)) addedOnly.add(t.id);
    place(t.content, t.id);
  }
  for (let id = 0; id < tokens.length; id++) if (tokens[id] === undefined) throw new Error(`ids are not contiguous: id ${id} is missing`);
  const ids = new Map(tokens.map((t, id) => [t, id]));
  if (ids.size !== tokens.length) throw new Error("two ids spell the same token");
  const merges = model.merges.map((m, rank): [number, number] => {
    const pair = typeof m === "string" ? m.split(" ") : m;
    if (pair.length !== 2) throw new Error(`merge ${rank} ${JSON.stringify(m)} is not two tokens separated by one space`);
    const [a, b] = pair.map((t) => ids.get(t));
    if (a === undefined || b === undefined) throw new Error(`merge ${rank} ${JSON.stringify(m)} uses a token that is not in the vocabulary`);
    return [a, b];
  });
  const added = added_tokens;
  // GPT-2's file lists <|endoftext|> in added_tokens; a file with it only in the vocabulary still marks it special.
  const eot = ids.get(END_OF_TEXT);
  if (eot !== undefined && !added.some((t) => t.id === eot)) added.push(specialToken(eot, END_OF_TEXT));
  return { tokens, merges, added, addedOnly, ignoreMerges: model.ignore_merges };
}
