/**
 * The measurements behind the quality rules, one function each, so each threshold can be tested
 * from both sides. Words are whitespace-separated tokens, as in the Gopher rules (Rae et al. 2021).
 */

const tokens = (text: string) => text.split(/\s+/).filter(Boolean);

// Reused between calls (and reset through the list of touched entries): a fresh 64K table per
// document would cost more than counting.
const bmpCounts = new Uint32Array(65536);

/** Shannon entropy of the character (code point) distribution, bits per character; 0 for empty text. */
export function charEntropy(text: string): number {
  const touched: number[] = [];
  const astral = new Map<number, number>();
  let n = 0;
  for (let i = 0; i < text.length; i++, n++) {
    const c = text.codePointAt(i)!;
    if (c > 0xffff) {
      astral.set(c, (astral.get(c) ?? 0) + 1);
      i++;
    } else if (bmpCounts[c]++ === 0) touched.push(c);
  }
  let h = 0;
  const add = (count: number) => {
    h -= (count / n) * Math.log2(count / n);
  };
  for (const c of touched) {
    add(bmpCounts[c]);
    bmpCounts[c] = 0;
  }
  astral.forEach(add);
  return h;
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
  // Words → small integers, so an n-gram is one exact number when the vocabulary allows it.
  const vocab = new Map<string, number>();
  const ids = w.map((x) => {
    let id = vocab.get(x);
    if (id === undefined) vocab.set(x, (id = vocab.size));
    return id;
  });
  const numeric = vocab.size ** n < Number.MAX_SAFE_INTEGER;
  const keyAt = (i: number): number | string => {
    if (!numeric) return ids.slice(i, i + n).join(",");
    let k = 0;
    for (let j = i; j < i + n; j++) k = k * vocab.size + ids[j];
    return k;
  };
  const seen = new Set<number | string>();
  let dup = 0;
  for (let i = 0; i + n <= w.length; ) {
    const key = keyAt(i);
    if (seen.has(key)) {
      for (let j = i; j < i + n; j++) dup += w[j].length;
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

const EDGE = /[\p{P}\p{S}]/u;
/** Per BMP code unit: 0 unknown, 1 punctuation or symbol, 2 anything else. Filled lazily. */
const edgeClass = new Uint8Array(65536);
const isEdge = (u: number) => (edgeClass[u] || (edgeClass[u] = EDGE.test(String.fromCharCode(u)) ? 1 : 2)) === 1;

/** Mean length of words with their leading and trailing punctuation and symbols removed, in code points. */
export function meanWordLength(text: string): number {
  let n = 0;
  let chars = 0;
  for (const t of tokens(text)) {
    let a = 0;
    let b = t.length;
    while (a < b && isEdge(t.charCodeAt(a))) a++;
    while (b > a && isEdge(t.charCodeAt(b - 1))) b--;
    if (a === b) continue;
    n++;
    chars += b - a;
    for (let i = a; i < b; i++) if ((t.charCodeAt(i) & 0xfc00) === 0xdc00) chars--; // a surrogate pair is one character
  }
  return n ? chars / n : 0;
}

const LETTER = /\p{L}/u;
const LATIN = /\p{Script=Latin}/u;
/** Per BMP code unit: 0 unknown, 1 not a letter, 2 Latin letter, 3 other letter. Filled lazily. */
const letterClass = new Uint8Array(65536);

function classify(ch: string): number {
  return !LETTER.test(ch) ? 1 : LATIN.test(ch) ? 2 : 3;
}

/** Share of letters that are Latin script; 0 for text without letters. */
export function latinShare(text: string): number {
  let letters = 0;
  let latin = 0;
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    let k: number;
    if (u >= 0xd800 && u <= 0xdbff && i + 1 < text.length) {
      k = classify(String.fromCodePoint(text.codePointAt(i)!));
      i++;
    } else {
      k = letterClass[u] || (letterClass[u] = classify(text[i]));
    }
    if (k >= 2) letters++;
    if (k === 2) latin++;
  }
  return letters ? latin / letters : 0;
}
