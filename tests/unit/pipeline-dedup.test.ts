import assert from "node:assert/strict";
import { test } from "node:test";
import { DedupSettings } from "../../lib/dataset-spec";
import { Rng } from "../../lib/rng";
import { dedupExact, dedupNear, dedupParagraphs, MIN_DEDUP_PARAGRAPH_CHARS } from "../../trainer/pipeline/dedup";
import { chooseBands, sCurveThreshold, words } from "../../trainer/pipeline/minhash";
import type { Doc } from "../../trainer/pipeline/types";

const rng = new Rng(7);
const vocab = Array.from({ length: 3000 }, () => Array.from({ length: 3 + rng.int(6) }, () => "abcdefghijklmnopqrstuvwxyz"[rng.int(26)]).join(""));
const randomWords = (n: number) => Array.from({ length: n }, () => vocab[rng.int(vocab.length)]);
const doc = (id: string, w: string[], domain = "web"): Doc => ({ id, domain, source: `${id}.txt`, text: w.join(" ") });

/** A copy with `k` words replaced, spread evenly so each change breaks different shingles. */
function mutate(w: string[], k: number): string[] {
  const out = [...w];
  for (let i = 0; i < k; i++) out[Math.floor(((i + 0.5) * w.length) / k)] = `changed${i}x`;
  return out;
}

/** True Jaccard similarity of the word 5-gram shingle sets. */
function jaccard(a: string, b: string, k = 5): number {
  const sh = (t: string) => {
    const w = words(t);
    return new Set(w.slice(0, w.length - k + 1).map((_, i) => w.slice(i, i + k).join(" ")));
  };
  const A = sh(a);
  const B = sh(b);
  let inter = 0;
  for (const x of A) if (B.has(x)) inter++;
  return inter / (A.size + B.size - inter);
}

const settings = (jaccard: number) => DedupSettings.parse({ jaccard });

test("exact dedup keeps the first of identical documents", () => {
  const a = doc("a", ["same", "text"]);
  const docs = [a, doc("b", ["other"]), { ...a, id: "a2" }, { ...a, id: "a3", domain: "books" }];
  const r = dedupExact(docs, true);
  assert.deepEqual(r.docs.map((d) => d.id), ["a", "b"]);
  assert.equal(r.report.extra?.removed, 2);
  assert.match(r.report.examples[0].reason!, /identical to a/);
  assert.deepEqual(r.domainReports!.map((d) => [d.domain, d.docsIn, d.docsOut]), [["web", 3, 2], ["books", 1, 0]]);
  assert.equal(dedupExact(docs, false).docs.length, 4);
});

// 30 originals of 300 words; near copies (a few words changed), half copies (many changed).
const originals = Array.from({ length: 30 }, (_, i) => doc(`orig${i}`, randomWords(300)));
const close = originals.slice(0, 10).map((d, i) => doc(`close${i}`, mutate(d.text.split(" "), 3)));
const middle = originals.slice(10, 16).map((d, i) => doc(`middle${i}`, mutate(d.text.split(" "), 12)));
const far = originals.slice(16, 26).map((d, i) => doc(`far${i}`, mutate(d.text.split(" "), 35)));
const corpus = [...originals, ...close, ...middle, ...far];

test("planted pairs have the similarities the near-dup tests rely on", () => {
  for (const [i, d] of close.entries()) assert.ok(jaccard(originals[i].text, d.text) > 0.9, `close ${jaccard(originals[i].text, d.text)}`);
  for (const [i, d] of middle.entries()) {
    const j = jaccard(originals[10 + i].text, d.text);
    assert.ok(j > 0.65 && j < 0.72, `middle ${j}`);
  }
  for (const [i, d] of far.entries()) assert.ok(jaccard(originals[16 + i].text, d.text) < 0.4, `far ${jaccard(originals[16 + i].text, d.text)}`);
  assert.ok(jaccard(originals[0].text, originals[1].text) < 0.01);
});

test("near dedup at 0.8 removes close copies, keeps documents sharing less, keeps the earlier one", () => {
  const r = dedupNear(corpus, settings(0.8));
  const removed = corpus.filter((d) => !r.docs.includes(d)).map((d) => d.id).sort();
  assert.deepEqual(removed, close.map((d) => d.id).sort());
  assert.ok(originals.every((d) => r.docs.includes(d)), "the first of each pair stays");
  assert.equal(r.report.extra?.removed, 10);
  assert.ok((r.report.extra?.verifiedPairs ?? 0) >= 10);
  assert.match(r.report.examples[0].reason!, /^near-duplicate of orig\d+ \(estimated Jaccard 0\.\d+ .*threshold 0\.8\)$/);
});

test("near dedup at 0.5 also removes the middle copies, still not the far ones", () => {
  const r = dedupNear(corpus, settings(0.5));
  const removed = corpus.filter((d) => !r.docs.includes(d)).map((d) => d.id).sort();
  assert.deepEqual(removed, [...close, ...middle].map((d) => d.id).sort());
});

test("a family of near copies keeps only its first; the report shows the banding", () => {
  const base = randomWords(200);
  const chain = [doc("c0", base), doc("c1", mutate(base, 2)), doc("c2", mutate(base, 3))];
  const r = dedupNear(chain, settings(0.8));
  assert.deepEqual(r.docs.map((d) => d.id), ["c0"]);
  assert.equal(r.report.extra?.bands, 11);
  assert.equal(r.report.extra?.rows, 11);
  const off = dedupNear(chain, { ...settings(0.8), near: false });
  assert.equal(off.docs.length, 3);
  assert.equal(off.report.enabled, false);
});

test("LSH bands × rows put the S-curve threshold near the Jaccard setting", () => {
  assert.deepEqual(chooseBands(128, 0.8), { bands: 11, rows: 11, threshold: sCurveThreshold(11, 11) });
  for (const numPerm of [64, 128, 256])
    for (const j of [0.5, 0.7, 0.8, 0.9]) {
      const { bands, rows, threshold } = chooseBands(numPerm, j);
      assert.ok(bands * rows <= numPerm);
      assert.ok(Math.abs(threshold - j) < 0.05, `${numPerm} ${j}: ${bands}×${rows} → ${threshold}`);
    }
});

test("paragraph dedup removes repeats after the first, spares short lines and code, drops emptied documents", () => {
  const footer = "To unsubscribe from this list, send a message to list-request@example.com";
  const docs: Doc[] = [
    { id: "1", domain: "web", source: "1.txt", text: `First message body here.\n\nThanks,\n\n${footer}` },
    { id: "2", domain: "web", source: "2.txt", text: `Second message, different words.\n\nThanks,\n\n${footer}\n\n${footer}` },
    { id: "3", domain: "web", source: "3.txt", text: footer },
    { id: "4", domain: "code", source: "/x/a.ts", text: `// ${footer}\n\nexport {};` },
    { id: "5", domain: "code", source: "/x/b.ts", text: `// ${footer}\n\nexport {};` },
  ];
  assert.ok("Thanks,".length < MIN_DEDUP_PARAGRAPH_CHARS);
  const r = dedupParagraphs(docs, true);
  assert.deepEqual(
    r.docs.map((d) => [d.id, d.text]),
    [
      ["1", docs[0].text],
      ["2", "Second message, different words.\n\nThanks,"],
      ["4", docs[3].text],
      ["5", docs[4].text],
    ],
  );
  assert.equal(r.report.extra?.paragraphsRemoved, 3);
  assert.equal(r.report.extra?.docsEmptied, 1);
  assert.equal(r.docs[0], docs[0], "an untouched document is the same object");
});
