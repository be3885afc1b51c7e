import assert from "node:assert/strict";
import { test } from "node:test";
import { QualitySettings } from "../../lib/dataset-spec";
import { Rng } from "../../lib/rng";
import {
  charEntropy, CharNgramModel, latinShare, meanWordLength, QUALITY_RULES, qualityFailure, qualityStage,
  repeatedNgramFraction, symbolToWordRatio,
} from "../../trainer/pipeline/quality";
import { loadSource } from "../../trainer/pipeline/sources";
import type { Doc } from "../../trainer/pipeline/types";

const defaults = QualitySettings.parse({});
const PROSE =
  "The committee met on Tuesday to discuss the budget for the coming year. Most members agreed that the " +
  "school needed more teachers, although several of them worried about the cost of new buildings. After a " +
  "long debate, they voted to hire four teachers and to postpone the library until the following spring.";

test("the measurements on small known inputs", () => {
  assert.equal(charEntropy(""), 0);
  assert.equal(charEntropy("aaaa"), 0);
  assert.equal(charEntropy("aabb"), 1);
  assert.equal(charEntropy("abcd"), 2);
  assert.equal(charEntropy("😀😀ab"), 1.5, "astral characters count once");
  assert.equal(repeatedNgramFraction("a b c a b c"), 0.5);
  assert.equal(repeatedNgramFraction("one two three four five"), 0);
  assert.equal(symbolToWordRatio("# # # word word"), 3 / 5);
  assert.equal(symbolToWordRatio("Wait... what { }"), 3 / 4);
  assert.equal(meanWordLength("(hello), world!"), 5);
  assert.equal(meanWordLength("— ... !"), 0);
  assert.equal(latinShare("Привет hello"), 5 / 11);
  assert.equal(latinShare("12345"), 0);
});

/** For one rule: a limit just past the measured value flips the verdict, in each direction. */
function checkBothSides(ruleName: string, text: string) {
  const rule = QUALITY_RULES.find((r) => r.name === ruleName)!;
  const v = rule.measure(text);
  const { kind } = rule.limit(defaults);
  const field = {
    entropy: "minEntropy", repeatedNgrams: "maxRepeatedNgramFraction", symbolRatio: "maxSymbolToWordRatio",
    meanWordLengthMin: "minMeanWordLength", meanWordLengthMax: "maxMeanWordLength", latinShare: "minScriptShare",
  }[ruleName]!;
  // Every other rule wide open, so only this one decides.
  const open = QualitySettings.parse({ minEntropy: 0, maxRepeatedNgramFraction: 1, maxSymbolToWordRatio: 10, minMeanWordLength: 0, maxMeanWordLength: 100, minScriptShare: 0 });
  const strict = { ...open, [field]: kind === "max" ? v - 0.01 : v + 0.01 };
  const lenient = { ...open, [field]: kind === "max" ? v + 0.01 : v - 0.01 };
  const failure = qualityFailure(text, strict);
  assert.equal(failure?.rule, ruleName, `${ruleName} should fail at ${strict[field as keyof typeof strict]} (value ${v})`);
  assert.match(failure!.reason, new RegExp(`^${ruleName} [\\d.]+ [<>] (min|max) [\\d.]+$`));
  assert.equal(qualityFailure(text, lenient), null, `${ruleName} should pass at ${lenient[field as keyof typeof lenient]} (value ${v})`);
}

test("each rule flips exactly at its threshold", () => {
  checkBothSides("entropy", PROSE);
  checkBothSides("repeatedNgrams", `${PROSE} ${PROSE}`);
  checkBothSides("symbolRatio", `${PROSE} ### {x} ...`);
  checkBothSides("meanWordLengthMin", PROSE);
  checkBothSides("meanWordLengthMax", PROSE);
  checkBothSides("latinShare", `${PROSE} Это предложение написано по-русски.`);
});

test("with the default thresholds: prose passes, each kind of junk fails its own rule", () => {
  assert.equal(qualityFailure(PROSE, defaults), null);
  const cases: [string, string][] = [
    ["entropy", "aaaa aaaa bbbb aaaa aaaa bbbb aaab abba baba aaaa"],
    ["repeatedNgrams", Array(20).fill("buy cheap pills now").join(" ")],
    ["symbolRatio", `${PROSE} ${"#tag ".repeat(20)}`],
    ["meanWordLengthMin", "I am so in to it, we go up to do it as we go on to be at it. Oh my, he is by me; ok? Yo, ax if we do."],
    ["meanWordLengthMax", "http://example.com/a/very/long/path?with=query&and=more http://example.org/another/long/address/here"],
    ["latinShare", "Это предложение написано по-русски, и оно довольно длинное для проверки."],
  ];
  for (const [rule, text] of cases) assert.equal(qualityFailure(text, defaults)?.rule, rule, `${rule}: ${text.slice(0, 40)}`);
});

test("the stage drops failing documents with reasons, counts per rule, and skips code", () => {
  const docs: Doc[] = [
    { id: "good", domain: "web", source: "g.txt", text: PROSE },
    { id: "rep", domain: "web", source: "r.txt", text: Array(20).fill("buy cheap pills now").join(" ") },
    { id: "ru", domain: "web", source: "ru.txt", text: "Это предложение написано по-русски, и оно довольно длинное для проверки." },
    { id: "code", domain: "code", source: "/x/a.ts", text: "x{}x{}x{}x{}" },
  ];
  const r = qualityStage(docs, defaults);
  assert.deepEqual(r.docs.map((d) => d.id), ["good", "code"]);
  assert.deepEqual(r.report.extra, { repeatedNgrams: 1, latinShare: 1 });
  assert.deepEqual(r.report.examples.map((e) => e.reason?.split(" ")[0]), ["repeatedNgrams", "latinShare"]);
  assert.equal(qualityStage(docs, { ...defaults, enabled: false }).docs.length, 4);
});

/** Letters drawn uniformly: nothing like English, yet it passes every heuristic rule. */
function gibberish(seed: number, words: number): string {
  const rng = new Rng(seed);
  return Array.from({ length: words }, () => Array.from({ length: 3 + rng.int(5) }, () => "abcdefghijklmnopqrstuvwxyz"[rng.int(26)]).join("")).join(" ");
}

test("perplexity: a model of the Brown corpus finds gibberish far above, prose below the default limit", async () => {
  const books = await loadSource({ domain: "books", kind: "brown", weight: 1, maxDocuments: 60 });
  const model = CharNgramModel.train(books.map((d) => d.text));
  const max = defaults.perplexity.maxPerplexity;
  const pp = model.perplexity(PROSE);
  const pg = model.perplexity(gibberish(1, 80));
  assert.ok(pp < 10, `prose ${pp}`);
  const unigram = CharNgramModel.train(books.map((d) => d.text), { order: 1 }).perplexity(PROSE);
  assert.ok(pp < unigram / 2, `longer contexts must help: order 5 ${pp}, order 1 ${unigram}`);
  assert.ok(pg > max, `gibberish ${pg}`);
  assert.equal(model.perplexity(""), Infinity);
  // The smoothed distributions are proper: over the alphabet plus "other" (\u0001 stands for it).
  const symbols = [...model.alphabet, "\u0001"];
  assert.ok(symbols.length > 40 && new Set(symbols).size === symbols.length);
  for (const ctx of ["", "t", "th", "the q", "zqxj", "\u0001\u0001"]) {
    const sum = symbols.reduce((n, s) => n + model.probability(ctx, s), 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, `context ${JSON.stringify(ctx)}: probabilities sum to ${sum}`);
  }
  assert.ok(model.probability("the quic", "k") > 0.5);
  const text = "the river";
  const bits = [...text].reduce((b, ch, i) => b - Math.log2(model.probability(text.slice(0, i), ch)), 0);
  assert.ok(Math.abs(model.perplexity(text) - 2 ** (bits / text.length)) < 1e-9, "perplexity averages these probabilities");

  const g = gibberish(2, 80);
  assert.equal(qualityFailure(g, defaults), null, "the gibberish passes the heuristic rules");
  const docs: Doc[] = [
    ...books,
    { id: "prose", domain: "web", source: "p.txt", text: PROSE },
    { id: "gib", domain: "web", source: "g.txt", text: g },
  ];
  const on = { ...defaults, perplexity: { enabled: true, referenceDomain: "books", maxPerplexity: max } };
  const r = qualityStage(docs, on);
  assert.deepEqual(r.docs.filter((d) => d.domain === "web").map((d) => d.id), ["prose"]);
  assert.equal(r.docs.filter((d) => d.domain === "books").length, books.length, "the reference domain is not filtered");
  assert.equal(r.report.extra?.perplexity, 1);
  assert.match(r.report.examples.find((e) => e.id === "gib")!.reason!, /^perplexity \d+(\.\d+)? > max 40 \(model of books\)$/);
  assert.throws(() => qualityStage(docs.slice(-2), on), /reference domain "books" has no documents/);
});
