import crypto from "node:crypto";
import type { DedupSettings } from "../../lib/dataset-spec";
import type { z } from "zod";
import { isCodeDoc } from "./code-doc";
import { bandKey, chooseBands, estimateJaccard, MinHasher, shingleHashes } from "./minhash";
import { finishStage, skippedStage, StageNotes } from "./report";
import type { Doc, StepResult } from "./types";

type Dedup = z.infer<typeof DedupSettings>;

/** Stage "dedup-exact": the first of identical documents stays. */
export function dedupExact(docs: Doc[], enabled: boolean): StepResult {
  const STEP = "dedup-exact";
  if (!enabled) return skippedStage(STEP, docs);
  const notes = new StageNotes();
  const seen = new Map<string, string>();
  const out = docs.filter((doc) => {
    const key = crypto.createHash("sha256").update(doc.text).digest("base64");
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, doc.id);
      return true;
    }
    notes.count(doc.domain, "removed");
    if (notes.wantsExample(doc.domain)) notes.example(doc, { before: doc.text, reason: `identical to ${first}` });
    return false;
  });
  return finishStage(STEP, true, docs, out, notes);
}

/**
 * Paragraphs shorter than this are never removed: greetings, sign-offs and list markers repeat
 * everywhere, and removing them would shred documents without removing boilerplate.
 */
export const MIN_DEDUP_PARAGRAPH_CHARS = 20;
const PARAGRAPH_BREAK = /\n[ \t]*\n\s*/;

/**
 * Stage "dedup-paragraph": a paragraph (blank-line separated) seen earlier in the corpus, in any
 * document, is removed; documents left empty are dropped. Source code is left whole (see
 * isCodeDoc). The set is keyed by the paragraph text itself, which the engine hashes; exact
 * equality needs no cryptographic hash.
 */
export function dedupParagraphs(docs: Doc[], enabled: boolean): StepResult {
  const STEP = "dedup-paragraph";
  if (!enabled) return skippedStage(STEP, docs);
  const notes = new StageNotes();
  const seen = new Set<string>();
  const out: Doc[] = [];
  for (const doc of docs) {
    if (isCodeDoc(doc)) {
      out.push(doc);
      continue;
    }
    const paragraphs = doc.text.split(PARAGRAPH_BREAK);
    const kept = paragraphs.filter((p) => {
      const key = p.trim();
      if (key.length < MIN_DEDUP_PARAGRAPH_CHARS) return true;
      if (!seen.has(key)) {
        seen.add(key);
        return true;
      }
      return false;
    });
    const removed = paragraphs.length - kept.length;
    if (removed === 0) {
      out.push(doc);
      continue;
    }
    notes.count(doc.domain, "paragraphsRemoved", removed);
    const text = kept.join("\n\n").trim();
    if (notes.wantsExample(doc.domain)) notes.example(doc, { before: doc.text, after: text, reason: `${removed} repeated paragraph(s)` });
    if (text) out.push({ ...doc, text });
    else notes.count(doc.domain, "docsEmptied");
  }
  return finishStage(STEP, true, docs, out, notes);
}

/** In a crowded LSH bucket each document is checked against at most this many before it. */
const MAX_BUCKET_COMPARISONS = 100;

class UnionFind {
  private parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    while (this.parent[i] !== i) i = this.parent[i] = this.parent[this.parent[i]];
    return i;
  }
  /** The smaller index becomes the root, so each group's root is its first document. */
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

/**
 * Stage "dedup-near": MinHash of word shingles, LSH banding for candidates, each candidate pair
 * verified by its signature agreement (estimated Jaccard ≥ settings.jaccard); in every group of
 * near-duplicates (union-find) the first document stays.
 */
export function dedupNear(docs: Doc[], settings: Dedup): StepResult {
  const STEP = "dedup-near";
  if (!settings.near) return skippedStage(STEP, docs);
  const notes = new StageNotes();
  const P = settings.numPerm;
  const { bands, rows, threshold } = chooseBands(P, settings.jaccard);
  const hasher = new MinHasher(P);
  const sig = new Uint32Array(docs.length * P);
  const signed = new Uint8Array(docs.length);
  docs.forEach((doc, i) => {
    const sh = shingleHashes(doc.text, settings.shingleSize);
    if (sh.length === 0) return; // no words: nothing to compare
    hasher.sign(sh, sig, i * P);
    signed[i] = 1;
  });

  const uf = new UnionFind(docs.length);
  const checked = new Set<number>();
  const match = new Map<number, { of: number; jaccard: number }>();
  let candidates = 0;
  let verified = 0;
  for (let b = 0; b < bands; b++) {
    const buckets = new Map<number, number[]>();
    for (let i = 0; i < docs.length; i++) {
      if (!signed[i]) continue;
      const key = bandKey(sig, i * P + b * rows, rows);
      const bucket = buckets.get(key);
      if (!bucket) {
        buckets.set(key, [i]);
        continue;
      }
      for (let k = Math.max(0, bucket.length - MAX_BUCKET_COMPARISONS); k < bucket.length; k++) {
        const j = bucket[k];
        const pair = j * docs.length + i;
        if (checked.has(pair)) continue;
        checked.add(pair);
        candidates++;
        const jac = estimateJaccard(sig, j, i, P);
        if (jac < settings.jaccard) continue;
        verified++;
        uf.union(j, i);
        if (!match.has(i)) match.set(i, { of: j, jaccard: jac });
      }
      bucket.push(i);
    }
  }

  const out = docs.filter((doc, i) => {
    const root = uf.find(i);
    if (root === i) return true;
    notes.count(doc.domain, "removed");
    if (notes.wantsExample(doc.domain)) {
      const m = match.get(i);
      const why = m ? `estimated Jaccard ${m.jaccard.toFixed(2)} with ${docs[m.of].id}` : "linked through its group";
      notes.example(doc, { before: doc.text, reason: `near-duplicate of ${docs[root].id} (${why}; threshold ${settings.jaccard})` });
    }
    return false;
  });
  notes.set("bands", bands);
  notes.set("rows", rows);
  notes.set("lshThreshold", Math.round(threshold * 1000) / 1000);
  notes.set("candidatePairs", candidates);
  notes.set("verifiedPairs", verified);
  notes.set("unsignedDocs", docs.length - signed.reduce((n, x) => n + x, 0));
  return finishStage(STEP, true, docs, out, notes);
}
