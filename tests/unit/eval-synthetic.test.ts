import assert from "node:assert/strict";
import { test } from "node:test";
import { parseTaskLines } from "../../lib/eval/readers";
import { makeSyntheticHellaswag, makeSyntheticLambada, splitSentences, toJsonl } from "../../lib/eval/synthetic";
import { buildRequests } from "../../lib/eval/tasks";
import { preprocess } from "../../lib/eval/preprocess";
import { Rng } from "../../lib/rng";

const VOCAB = (
  "river stone garden window market teacher village engine winter letter bridge candle doctor forest " +
  "harbor lantern meadow orchard pepper rabbit saddle temple valley wagon basket cellar dragon falcon " +
  "glacier hammer island jacket kettle ladder mirror needle oyster pillow quarry ribbon sailor tunnel"
).split(" ");

/** Documents of sentences drawn from a small vocabulary, so words recur within a passage. */
function corpus(nDocs: number, seed: number): string[] {
  const rng = new Rng(seed);
  return Array.from({ length: nDocs }, () =>
    Array.from({ length: 25 }, () => {
      const n = 6 + rng.int(9);
      const ws = Array.from({ length: n }, () => VOCAB[rng.int(VOCAB.length)]);
      ws[0] = ws[0][0].toUpperCase() + ws[0].slice(1);
      return ws.join(" ") + (rng.int(5) === 0 ? "!" : ".");
    }).join(rng.int(2) ? " " : "\n"),
  );
}

/** A distinct all-letter word per index (aab, aac, ...), never a stop word. */
const uniq = (i: number) => "q" + [26 * 26, 26, 1].map((d) => String.fromCharCode(97 + (Math.floor(i / d) % 26))).join("");

test("LAMBADA: the passage ends on a word that occurred earlier, 40..120 words", () => {
  const one = ["zebra", ...Array.from({ length: 45 }, (_, i) => uniq(i)), "zebra"].join("  ");
  assert.deepEqual(makeSyntheticLambada([one], new Rng(1), 10), [{ text: one.replace(/ +/g, " ") }]);
  // Too short to reach 40 words: nothing.
  const short = ["zebra", ...Array.from({ length: 30 }, (_, i) => uniq(i)), "zebra"].join(" ");
  assert.deepEqual(makeSyntheticLambada([short], new Rng(1), 10), []);
  // The earlier occurrence more than 120 words back: nothing.
  const far = ["zebra", ...Array.from({ length: 130 }, (_, i) => uniq(i)), "zebra"].join(" ");
  assert.deepEqual(makeSyntheticLambada([far], new Rng(1), 10), []);
  // A stop word or a word with punctuation is never the target.
  const stop = ["their", ...Array.from({ length: 45 }, (_, i) => uniq(i)), "their"].join(" ");
  const punct = ["zebra", ...Array.from({ length: 45 }, (_, i) => uniq(i)), "zebra."].join(" ");
  assert.deepEqual(makeSyntheticLambada([stop, punct], new Rng(1), 10), []);
});

test("LAMBADA: parseable, valid, deterministic, non-overlapping and capped at count", () => {
  const docs = corpus(12, 3);
  const set = makeSyntheticLambada(docs, new Rng(7), 30);
  assert.equal(set.length, 30);
  const parsed = parseTaskLines("lambada", toJsonl(set), "synthetic-lambada.jsonl");
  assert.deepEqual(parsed, set);
  const flat = docs.map((d) => d.split(/\s+/).join(" "));
  for (const { text } of set) {
    const words = text.split(" ");
    assert.ok(words.length >= 40 && words.length <= 120, `${words.length} words`);
    const { context, continuation } = buildRequests("lambada", { text })[0];
    const target = continuation.slice(1);
    assert.match(target, /^\p{L}{3,}$/u);
    assert.ok(context.toLowerCase().split(" ").some((w) => w.replace(/\P{L}+$/u, "") === target.toLowerCase()), text);
    assert.ok(flat.some((d) => d.includes(text)), "a contiguous run of one document");
  }
  assert.equal(new Set(set.map((x) => x.text)).size, set.length);
  assert.deepEqual(makeSyntheticLambada(docs, new Rng(7), 30), set);
  assert.notDeepEqual(makeSyntheticLambada(docs, new Rng(8), 30), set);
  // Asking for more than the documents hold returns what they hold.
  const all = makeSyntheticLambada(docs, new Rng(7), 100_000);
  assert.ok(all.length > 30 && all.length < 100_000);
});

test("HellaSwag: the true next sentence against three from other documents, in the jsonl shape", () => {
  const docs = corpus(10, 5);
  const set = makeSyntheticHellaswag(docs, new Rng(11), 40);
  assert.equal(set.length, 40);
  const parsed = parseTaskLines("hellaswag", toJsonl(set), "synthetic-hellaswag.jsonl");
  assert.equal(parsed.length, 40);
  const sentencesOf = docs.map(splitSentences);
  const labels = new Set<number>();
  parsed.forEach((doc, i) => {
    const row = set[i];
    assert.equal(doc.activity_label, "synthetic");
    assert.equal(doc.ctx_b, "");
    assert.equal(doc.label, row.label);
    labels.add(doc.label);
    const d = Number(/doc(\d+)$/.exec(row.source_id)![1]);
    const sents = sentencesOf[d];
    const truth = doc.endings[doc.label];
    // ctx_a is whole sentences of the document, and the true ending is the one right after them.
    const at = sents.indexOf(truth);
    assert.ok(at > 0, "the true ending is a later sentence of its document");
    assert.ok(sents.slice(0, at).join(" ").endsWith(doc.ctx_a), "the context ends right before it");
    doc.endings.forEach((e, k) => {
      if (k !== doc.label) assert.ok(sentencesOf.some((ss, j) => j !== d && ss.includes(e)), "a distractor comes from another document");
    });
    assert.equal(new Set(doc.endings.map(preprocess)).size, 4);
    assert.equal(buildRequests("hellaswag", doc)[0].context, "synthetic: " + doc.ctx_a);
  });
  assert.ok(labels.size >= 3, "the true ending's position is shuffled");
  // The first item of a document starts at its first sentence.
  assert.ok(set.some((r) => docs.some((d) => d.replace(/\s+/g, " ").startsWith(r.ctx_a))));
  assert.deepEqual(makeSyntheticHellaswag(docs, new Rng(11), 40), set);
  assert.notDeepEqual(makeSyntheticHellaswag(docs, new Rng(12), 40), set);
});

test("HellaSwag: no distractors without other documents", () => {
  assert.deepEqual(makeSyntheticHellaswag(corpus(1, 1), new Rng(1), 5), []);
  assert.deepEqual(makeSyntheticHellaswag([], new Rng(1), 5), []);
});

test("sentence split keeps initials and abbreviations inside a sentence", () => {
  assert.deepEqual(splitSentences("Mr. Smith met William H. Taylor in St. Louis.  He left!\n\"Why?\" she asked. ok then."), [
    "Mr. Smith met William H. Taylor in St. Louis.",
    "He left!",
    "\"Why?\" she asked. ok then.",
  ]);
});
