/**
 * The measurements behind the quality rules, one function each, so each threshold can be tested
 * from both sides. Words are whitespace-separated tokens, as in the Gopher rules (Rae et al. 2021).
 */

const tokens = (text: string) => text.split(/\s+/).filter(Boolean);

/** Shannon entropy of the character (code point) distribution, bits per character; 0 for empty text. */
export function charEntropy(text: string): number {
  const counts = new Map<number, number>();
  let n = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    counts.set(c, (counts.get(c) ?? 0) + 1);
    n++;
  }
  let h = 0;
  for (const c of counts.values()) h -= (c / n) * Math.log2(c / n);
  return n ? h : 0;
}

/**
 * Share of word characters in repeats of a word n-gram (lower-cased) seen earlier in the text.
 * Scanning left to right, a repeat is counted and skipped over whole, so overlapping repeats do
 * not count a character twice; first occurrences are not counted (as in Gopher's rule).
 */
export function repeatedNgramFraction(text: string, n = 3): number {
  const w = tokens(text.toLowerCase());
  const total = w.reduce((s, x) => s + x.length, 0);
  if (w.length < n || total === 0) return 0;
  const seen = new Set<string>();
  let dup = 0;
  for (let i = 0; i + n <= w.length; ) {
    const gram = w.slice(i, i + n);
    const key = gram.join("\u0001");
    if (seen.has(key)) {
      dup += gram.reduce((s, x) => s + x.length, 0);
      i += n;
    } else {
      seen.add(key);
      i++;
    }
  }
  return dup / total;
}

/** Gopher's symbols (# and ellipses) plus curly braces, which mark code or templates leaking into prose. */
const SYMBOL = /\.\.\.|[#…{}]/g;

/** Symbols per word. */
export function symbolToWordRatio(text: string): number {
  const words = tokens(text).length;
  return words === 0 ? 0 : (text.match(SYMBOL)?.length ?? 0) / words;
}

/** Mean length of words with their leading and trailing punctuation removed, in characters. */
export function meanWordLength(text: string): number {
  let n = 0;
  let chars = 0;
  for (const t of tokens(text)) {
    const w = t.replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, "");
    if (!w) continue;
    n++;
    chars += [...w].length;
  }
  return n ? chars / n : 0;
}

/** Share of letters that are Latin script; 0 for text without letters. */
export function latinShare(text: string): number {
  const letters = text.match(/\p{L}/gu)?.length ?? 0;
  if (letters === 0) return 0;
  return (text.match(/\p{Script=Latin}/gu)?.length ?? 0) / letters;
}
