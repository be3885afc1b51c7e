/**
 * GPT-2 byte-level conventions, as Hugging Face `tokenizers` implements its `ByteLevel`
 * pre-tokenizer with `add_prefix_space: false, use_regex: true`.
 *
 * Token strings in tokenizer.json are made of one printable character per byte, so that a
 * vocabulary of arbitrary byte sequences is still valid JSON text with no control characters
 * or spaces (space is "Ġ", newline is "Ċ").
 */

function buildByteToChar(): string[] {
  const out = new Array<string>(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out[b] = String.fromCharCode(printable ? b : next++);
  }
  return out;
}

/** BYTE_TO_CHAR[b] is the one-character token string of byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

// The highest mapped code point is 256 + 67 (the non-printable bytes), so an array lookup works.
const CHAR_TO_BYTE = new Int16Array(0x200).fill(-1);
BYTE_TO_CHAR.forEach((c, b) => (CHAR_TO_BYTE[c.charCodeAt(0)] = b));

/** Token string → its bytes, or null when it holds a character outside the byte alphabet. */
export function charsToBytes(token: string): Uint8Array | null {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    const b = code < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[code] : -1;
    if (b < 0) return null;
    out[i] = b;
  }
  return out;
}

export function bytesToChars(bytes: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]];
  return s;
}

/**
 * GPT-2's split. `\p{White_Space}` stands for `\s` because that is the set Oniguruma's `\s`
 * matches in `tokenizers` (it includes U+0085, JavaScript's `\s` instead includes U+FEFF).
 * Every character is a letter, a number, white space or "other", so the pieces always
 * concatenate back to the input.
 */
export const PRETOKENIZE_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{White_Space}\\p{L}\\p{N}]+|\\p{White_Space}+(?!\\P{White_Space})|\\p{White_Space}+";

/** Calls `emit` for each pre-token of `text`, in order, without building an array. */
export function forEachPretoken(text: string, emit: (piece: string) => void): void {
  const re = new RegExp(PRETOKENIZE_PATTERN, "gu");
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) emit(m[0]);
}

export function pretokenize(text: string): string[] {
  return text.match(new RegExp(PRETOKENIZE_PATTERN, "gu")) ?? [];
}
