/**
 * Synthetic LAMBADA- and HellaSwag-style sets cut from a run's held-out documents, for runs whose
 * data is not English web text or that have no benchmark files registered. They come out in the
 * benchmarks' jsonl shapes, so they go through the same reader and scorer as the real files.
 * Deterministic for the same documents and Rng state. Either may return fewer than `count`
 * examples when the documents do not hold enough; the caller decides whether that is too few.
 */
import type { Rng } from "../rng";
import { preprocess } from "./preprocess";
import type { LambadaDoc } from "./tasks";

/** One line of rowanz/hellaswag's jsonl (label as a number, as there). */
export interface HellaswagJsonl {
  ind: number;
  activity_label: string;
  ctx_a: string;
  ctx_b: string;
  ctx: string;
  endings: string[];
  label: number;
  source_id: string;
  split: string;
  split_type: string;
}

export function toJsonl(rows: readonly object[]): string {
  return rows.map((r) => JSON.stringify(r) + "\n").join("");
}

function shuffle<T>(xs: T[], rng: Rng): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/** Round-robin over documents (in a seeded order), each yielding its examples in its own order. */
function interleave<T>(perDoc: T[][], rng: Rng, count: number, key: (x: T) => string): T[] {
  const order = shuffle(perDoc.map((_, i) => i), rng);
  const out: T[] = [];
  const seen = new Set<string>();
  for (let round = 0; out.length < count; round++) {
    let any = false;
    for (const d of order) {
      const x = perDoc[d][round];
      if (x === undefined) continue;
      any = true;
      if (seen.has(key(x))) continue;
      seen.add(key(x));
      out.push(x);
      if (out.length === count) break;
    }
    if (!any) break;
  }
  return out;
}

const MIN_WORDS = 40;
const MAX_WORDS = 120;
/** Frequent words that would make a trivially guessable target. */
const STOP = new Set(
  "the and for are but not you all any can had her was one our out his has him how its who did get may she use that with have this will your from they been were said each which their them then what when there would into more some than other about these could only also after".split(
    " ",
  ),
);
const TARGET = /^\p{L}{3,}$/u;
const SENTENCE_END = /[.!?]["'\u2019\u201d)\]]*$/;

const core = (w: string) => w.toLowerCase().replace(/^\P{L}+|\P{L}+$/gu, "");

/** A start in [a, b], preferring one that begins a sentence. */
function pickStart(words: string[], a: number, b: number, rng: Rng): number {
  const starts: number[] = [];
  for (let s = a; s <= b; s++) if (s === 0 || SENTENCE_END.test(words[s - 1])) starts.push(s);
  return starts.length ? starts[rng.int(starts.length)] : a + rng.int(b - a + 1);
}

/** Non-overlapping passages of one document whose last word occurred earlier in the passage. */
function lambadaPassages(doc: string, rng: Rng): LambadaDoc[] {
  const words = doc.split(/\s+/).filter((w) => w !== "");
  const lastSeen = new Map<string, number>();
  const out: LambadaDoc[] = [];
  let free = 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const lower = w.toLowerCase();
    const j = lastSeen.get(lower);
    lastSeen.set(core(w), i);
    if (j === undefined || !TARGET.test(w) || STOP.has(lower)) continue;
    // The passage [s, i] holds MIN_WORDS..MAX_WORDS words, the earlier occurrence j, and no word
    // of an earlier passage.
    const lo = Math.max(free, i - MAX_WORDS + 1);
    const hi = Math.min(j, i - MIN_WORDS + 1);
    if (lo > hi) continue;
    const s = pickStart(words, lo, hi, rng);
    out.push({ text: words.slice(s, i + 1).join(" ") });
    free = i + 1;
  }
  return shuffle(out, rng);
}

/**
 * LAMBADA-style passages of MIN_WORDS..MAX_WORDS words, single-spaced, ending on an alphabetic
 * word of 3+ letters (not a stop word) that also appears earlier in the passage, so the context
 * makes it predictable. Each document gives non-overlapping passages; documents take turns.
 */
export function makeSyntheticLambada(docs: string[], rng: Rng, count: number): LambadaDoc[] {
  const perDoc = docs.map((d) => lambadaPassages(d, rng));
  return interleave(perDoc, rng, count, (x) => x.text);
}

const words = (s: string) => s.split(" ").length;

/** Words ending in "." that rarely end a sentence (besides initials such as "J."). */
const ABBREV = new Set(
  "mr mrs ms dr st jr sr co inc ltd corp no vs etc gen col lt sgt rev gov sen rep prof dept jan feb mar apr aug sept sep oct nov dec e.g i.e u.s".split(" "),
);

/**
 * Sentences of a document, single-spaced: a break after a word ending in . ! ? (and closing
 * quotes) when the next word starts with a capital, unless the word is an initial or a common
 * abbreviation.
 */
export function splitSentences(doc: string): string[] {
  const ws = doc.split(/\s+/).filter((w) => w !== "");
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < ws.length; i++) {
    const last = i === ws.length - 1;
    if (!last) {
      if (!SENTENCE_END.test(ws[i]) || !/^["'\u2018\u201c(]?\p{Lu}/u.test(ws[i + 1])) continue;
      const bare = ws[i].replace(/["'\u2019\u201d)\]]+$/, "");
      if (bare.endsWith(".") && (/^\p{Lu}\.$/u.test(bare) || ABBREV.has(bare.slice(0, -1).toLowerCase()))) continue;
    }
    out.push(ws.slice(start, i + 1).join(" "));
    start = i + 1;
  }
  return out;
}

/** Sentences fit to be an ending: 4..50 words, no brackets (which preprocess would delete). */
const isEnding = (s: string) => words(s) >= 4 && words(s) <= 50 && !/[[\]]/.test(s);

interface Window {
  doc: number;
  ctx: string;
  ending: string;
}

/** Non-overlapping (context, next sentence) windows of one document, from its first sentence on. */
function hellaswagWindows(doc: number, sentences: string[], rng: Rng): Window[] {
  const out: Window[] = [];
  let k = 0;
  while (k < sentences.length - 1) {
    const want = 1 + rng.int(3);
    let m = 0;
    let n = 0;
    while (m < want && k + m < sentences.length - 1 && n + words(sentences[k + m]) <= 80) {
      n += words(sentences[k + m]);
      m++;
    }
    const ctx = sentences.slice(k, k + m).join(" ");
    const ending = sentences[k + m];
    if (m > 0 && n >= 5 && !/[[\]]/.test(ctx) && isEnding(ending)) {
      out.push({ doc, ctx, ending });
      k += m + 1;
    } else k++;
  }
  return out;
}

/**
 * HellaSwag-style items: the context is a document's first sentence(s) (later items use later
 * sentences), the true ending is the sentence that follows, and three distractors are sentences
 * from other documents, preferably of similar length (so length alone does not give the answer
 * away). Endings are shuffled with `rng`; label is the true one's index.
 */
export function makeSyntheticHellaswag(docs: string[], rng: Rng, count: number): HellaswagJsonl[] {
  const sentences = docs.map(splitSentences);
  const pool: { doc: number; text: string }[] = [];
  sentences.forEach((ss, doc) => ss.forEach((text) => isEnding(text) && pool.push({ doc, text })));
  const perDoc = sentences.map((ss, d) => hellaswagWindows(d, ss, rng));
  const windows = interleave(perDoc, rng, Number.MAX_SAFE_INTEGER, (w) => w.ctx + "\n" + w.ending);
  const out: HellaswagJsonl[] = [];
  for (const w of windows) {
    if (out.length === count) break;
    const target = words(w.ending);
    const endings = [w.ending];
    const seen = new Set([preprocess(w.ending)]);
    for (let tries = 0; endings.length < 4 && tries < 200 && pool.length; tries++) {
      const c = pool[rng.int(pool.length)];
      if (c.doc === w.doc || seen.has(preprocess(c.text))) continue;
      const ratio = words(c.text) / target;
      if (tries < 100 && (ratio < 0.5 || ratio > 2)) continue;
      seen.add(preprocess(c.text));
      endings.push(c.text);
    }
    if (endings.length < 4) continue;
    const order = shuffle([0, 1, 2, 3], rng);
    out.push({
      ind: out.length,
      activity_label: "synthetic",
      ctx_a: w.ctx,
      ctx_b: "",
      ctx: w.ctx,
      endings: order.map((i) => endings[i]),
      label: order.indexOf(0),
      source_id: `synthetic~doc${w.doc}`,
      split: "val",
      split_type: "indomain",
    });
  }
  return out;
}
