import assert from "node:assert/strict";
import { test } from "node:test";
import { SafetySettings } from "../../lib/dataset-spec";
import { luhnValid, MIN_SCORED_WORDS, safetyScore, safetyStage } from "../../trainer/pipeline/safety";
import type { Doc } from "../../trainer/pipeline/types";

const defaults = SafetySettings.parse({});
const filler = (words: number) => Array.from({ length: words }, (_, i) => ["the", "river", "ran", "past", "quiet", "farms"][i % 6]).join(" ");

test("Luhn checksum", () => {
  assert.equal(luhnValid("79927398713"), true);
  assert.equal(luhnValid("79927398710"), false);
  assert.equal(luhnValid("4539578763621486"), true);
  assert.equal(luhnValid("4539578763621487"), false);
});

test("each rule category scores; harmless look-alikes do not", () => {
  const hits = (t: string) => safetyScore(t).hits;
  assert.deepEqual(hits("I will kill you tomorrow"), ["threat:threat-to-harm"]);
  assert.deepEqual(hits("just kill yourself"), ["self-harm:kill-yourself"]);
  assert.deepEqual(hits("FREE live sex and sex videos"), ["sexual:explicit-ad ×2"]);
  assert.deepEqual(hits("my SSN is 123-45-6789"), ["pii:us-ssn"]);
  assert.deepEqual(hits("card 4539 5787 6362 1486 exp 09/27"), ["pii:card-number"]);
  assert.deepEqual(hits("call me on (415) 555-0132"), ["pii:phone-number"]);
  for (const harmless of [
    "card 4539 5787 6362 1487", // fails the Luhn check
    "test card 4111 1111 1111 1111", // a published test number
    "call 1-800-555-0199 toll free", // a business line
    "SSN-like 000-12-3456 is invalid",
    "the kill command stops the process; suicide prevention hotlines help",
    "XXX: fix this later",
  ])
    assert.deepEqual(hits(harmless), [], harmless);
});

test("score is weighted hits per 1,000 words, with short texts counted as 100 words", () => {
  assert.equal(safetyScore(`I will kill you ${filler(996)}`).score, 3); // weight 3 in 1,000 words
  assert.equal(safetyScore("I will kill you").score, (3 * 1000) / MIN_SCORED_WORDS);
  assert.equal(safetyScore(filler(500)).score, 0);
});

test("documents at or above the threshold are flagged and removed, below it kept", () => {
  const threat = (id: string, words: number): Doc => ({ id, domain: "web", source: `${id}.txt`, text: `I will kill you. ${filler(words)}` });
  // 3 points in 1,000 words = 3.0 (flagged at threshold 3); in 1,500 words = 2.0 (kept).
  const docs = [threat("dense", 996), threat("sparse", 1496), { id: "clean", domain: "books", source: "c.txt", text: filler(300) }];
  const r = safetyStage(docs, defaults);
  assert.deepEqual(r.docs.map((d) => d.id), ["sparse", "clean"]);
  assert.equal(r.flagged.length, 1);
  assert.deepEqual({ ...r.flagged[0], text: r.flagged[0].text.slice(0, 16) }, { id: "dense", domain: "web", score: 3, hits: ["threat:threat-to-harm"], text: "I will kill you." });
  assert.ok(r.flagged[0].text.length <= 601);
  assert.deepEqual(r.report.extra, { flagged: 1, threat: 1 });
  assert.match(r.report.examples[0].reason!, /^score 3 ≥ 3: threat:threat-to-harm$/);

  const lenient = safetyStage(docs, { ...defaults, threshold: 3.01 });
  assert.equal(lenient.flagged.length, 0);
  const strict = safetyStage(docs, { ...defaults, threshold: 1.99 });
  assert.deepEqual(strict.flagged.map((f) => f.id), ["dense", "sparse"]);
  const off = safetyStage(docs, { ...defaults, enabled: false });
  assert.equal(off.docs.length, 3);
  assert.deepEqual(off.flagged, []);
});
