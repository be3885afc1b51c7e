/**
 * Added tokens (tokenizer.json `added_tokens`) split out of the text before BPE, as Hugging Face
 * `tokenizers` does in its AddedVocabulary::extract_and_normalize:
 *
 * 1. the tokens with `normalized: false` are found in the raw text;
 * 2. the tokens with `normalized: true` are found in each remaining piece after normalization
 *    (our files have no normalizer, so the piece as it is).
 *
 * Each pass scans left to right for the leftmost match, the longest one where several start
 * there, then goes on after it (Aho-Corasick, MatchKind::LeftmostLongest). A `single_word` match
 * with a word character right before or after it is dropped; `lstrip`/`rstrip` make the token
 * swallow the whitespace on its left/right. Matched pieces are never pre-tokenized, so no BPE word
 * spans an added token. `special` does not change splitting (only decoding with skip_special_tokens).
 */
import { z } from "zod";

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
}

/** One entry of tokenizer.json's added_tokens. A missing `normalized` defaults as AddedToken::from does: !special. */
export const AddedTokenJson = z
  .looseObject({
    id: z.number().int().min(0),
    content: z.string().min(1),
    special: z.boolean().default(false),
    single_word: z.boolean().default(false),
    lstrip: z.boolean().default(false),
    rstrip: z.boolean().default(false),
    normalized: z.boolean().optional(),
  })
  .transform(
    (t): AddedToken => ({
      id: t.id,
      content: t.content,
      special: t.special,
      singleWord: t.single_word,
      lstrip: t.lstrip,
      rstrip: t.rstrip,
      normalized: t.normalized ?? !t.special,
    }),
  );

/** A special token with every option off, as the trainer adds END_OF_TEXT. */
export function specialToken(id: number, content: string): AddedToken {
  return { id, content, special: true, singleWord: false, lstrip: false, rstrip: false, normalized: false };
}

export function addedTokenToJson(t: AddedToken) {
  return { id: t.id, content: t.content, single_word: t.singleWord, lstrip: t.lstrip, rstrip: t.rstrip, normalized: t.normalized, special: t.special };
}

/** Text to run through the pre-tokenizer and BPE, or the id of an added token. */
export type Piece = string | number;

// Rust's regex crate with Unicode: \w is Alphabetic, marks, decimal digits, connector
// punctuation and join controls; \s is White_Space. JS's own \w and \s are narrower or different.
const ENDS_WITH_WORD = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u;
const STARTS_WITH_WORD = /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const SPACE_AT_END = /\p{White_Space}*$/u;
const SPACE_AT_START = /^\p{White_Space}*/u;

/** The leftmost match at or after `from`, the longest among those that start there. */
function nextMatch(text: string, tokens: readonly AddedToken[], from: number): { start: number; token: AddedToken } | null {
  let best: { start: number; token: AddedToken } | null = null;
  for (const token of tokens) {
    const start = text.indexOf(token.content, from);
    if (start < 0) continue;
    if (!best || start < best.start || (start === best.start && token.content.length > best.token.content.length)) best = { start, token };
  }
  return best;
}

/** One pass over one piece of text; the string pieces returned are never empty. */
function splitPiece(text: string, tokens: readonly AddedToken[]): Piece[] {
  const out: Piece[] = [];
  let done = 0;
  for (let from = 0, m = nextMatch(text, tokens, 0); m; m = nextMatch(text, tokens, from)) {
    let start = m.start;
    let stop = start + m.token.content.length;
    // The scan resumes after the match as found, before any stripping widens it.
    from = stop;
    if (m.token.singleWord) {
      const wordBefore = start > 0 && ENDS_WITH_WORD.test(text.slice(0, start));
      const wordAfter = stop < text.length && STARTS_WITH_WORD.test(text.slice(stop));
      if (wordBefore || wordAfter) continue;
    }
    if (m.token.lstrip) start = Math.max(start - SPACE_AT_END.exec(text.slice(0, start))![0].length, done);
    if (m.token.rstrip) stop += SPACE_AT_START.exec(text.slice(stop))![0].length;
    if (done < start) out.push(text.slice(done, start));
    out.push(m.token.id);
    done = stop;
  }
  if (done < text.length) out.push(text.slice(done));
  return out;
}

/** The text cut at its added tokens, in order: the two passes described above. */
export function splitAddedTokens(text: string, tokens: readonly AddedToken[]): Piece[] {
  const raw = tokens.filter((t) => !t.normalized);
  const normalized = tokens.filter((t) => t.normalized);
  const first = raw.length ? splitPiece(text, raw) : [text];
  if (!normalized.length) return first;
  return first.flatMap((p) => (typeof p === "number" ? [p] : splitPiece(p, normalized)));
}
