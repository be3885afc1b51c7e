/** Compression and vocabulary figures for the dashboard's tokenizer panel. */
import type { BpeTokenizer } from "./bpe";

const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** UTF-8 bytes per token over `texts`; higher is better compression. 0 when there is no text. */
export function bytesPerToken(tok: BpeTokenizer, texts: string[]): number {
  let bytes = 0;
  let tokens = 0;
  for (const t of texts) {
    bytes += Buffer.byteLength(t, "utf8");
    tokens += tok.encode(t).length;
  }
  return tokens === 0 ? 0 : bytes / tokens;
}

export interface VocabToken {
  id: number;
  /** As UTF-8 text; a token that ends inside a character shows U+FFFD there. */
  text: string;
  /** As tokenizer.json spells it ("Ġthe"). */
  token: string;
  bytes: number;
}

export interface VocabSummary {
  vocabSize: number;
  merges: number;
  specialTokens: number;
  /** byByteLength[n] = how many ordinary tokens are n bytes long (index 0 is always 0). */
  byByteLength: number[];
  meanBytes: number;
  /** Longest ordinary tokens, longest first, ties by id. */
  longest: VocabToken[];
}

export function vocabularySummary(tok: BpeTokenizer, longestCount = 20): VocabSummary {
  const byByteLength: number[] = [0];
  const ordinary: VocabToken[] = [];
  let special = 0;
  for (let id = 0; id < tok.vocabSize; id++) {
    if (tok.isSpecial(id)) {
      special++;
      continue;
    }
    const bytes = tok.tokenBytes(id);
    while (byByteLength.length <= bytes.length) byByteLength.push(0);
    byByteLength[bytes.length]++;
    ordinary.push({ id, text: utf8Decoder.decode(bytes), token: tok.tokenString(id), bytes: bytes.length });
  }
  const totalBytes = ordinary.reduce((sum, t) => sum + t.bytes, 0);
  return {
    vocabSize: tok.vocabSize,
    merges: tok.mergeCount,
    specialTokens: special,
    byByteLength,
    meanBytes: ordinary.length ? totalBytes / ordinary.length : 0,
    longest: ordinary.sort((a, b) => b.bytes - a.bytes || a.id - b.id).slice(0, longestCount),
  };
}

/** Each token's length in UTF-8 bytes, indexed by id; special tokens stand for no text and count 0. */
export function tokenByteLengths(tok: BpeTokenizer): Uint16Array {
  const out = new Uint16Array(tok.vocabSize);
  for (let id = 0; id < tok.vocabSize; id++) out[id] = tok.isSpecial(id) ? 0 : tok.tokenBytes(id).length;
  return out;
}
