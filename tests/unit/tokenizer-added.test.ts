import assert from "node:assert/strict";
import { test } from "node:test";
import { splitAddedTokens, type AddedToken } from "../../lib/tokenizer/added-tokens";
import { BpeTokenizer } from "../../lib/tokenizer/bpe";
import { END_OF_TEXT } from "../../lib/tokenizer/vocab";
import { smallTokenizer } from "../helpers/peaked-model";

const tok = smallTokenizer();
const eot = tok.eotId;
const enc = (s: string) => tok.encode(s);
const hf = (s: string) => tok.encodeWithAddedTokens(s);

test("<|endoftext|> written in the text becomes the end-of-text id, as Hugging Face's encode makes it", () => {
  assert.deepEqual(hf(`The dog${END_OF_TEXT} The fox`), [...enc("The dog"), eot, ...enc(" The fox")], "in the middle");
  assert.deepEqual(hf(`${END_OF_TEXT}The fox`), [eot, ...enc("The fox")], "at the start");
  assert.deepEqual(hf(`The fox${END_OF_TEXT}`), [...enc("The fox"), eot], "at the end");
  assert.deepEqual(hf(END_OF_TEXT), [eot], "alone");
  assert.deepEqual(hf(`a${END_OF_TEXT}${END_OF_TEXT}b`), [...enc("a"), eot, eot, ...enc("b")], "twice in a row");
  assert.deepEqual(hf(` ${END_OF_TEXT} `), [...enc(" "), eot, ...enc(" ")], "lstrip and rstrip are off: the spaces stay text");
  // The ordinary encoder spells the same text in bytes, with no end-of-text id.
  assert.ok(!enc(`The dog${END_OF_TEXT} The fox`).includes(eot));
  assert.ok(enc(END_OF_TEXT).length > 1);
});

test("near misses stay text, and a BPE word never spans an added token", () => {
  for (const s of ["<|endoftext|", "<|endoftext", "|endoftext|>", "<|EndOfText|>", "<| endoftext|>", "<|endoftext|"+"|>"])
    assert.deepEqual(hf(s), enc(s), s);
  assert.deepEqual(hf(`<|endoftext|${END_OF_TEXT}`), [...enc("<|endoftext|"), eot], "a near miss just before the token");
  // "th" and "e" are pre-tokenized apart around the token, though the merges would join them.
  assert.deepEqual(hf(`th${END_OF_TEXT}e`), [...enc("th"), eot, ...enc("e")]);
  assert.notDeepEqual(enc("the"), [...enc("th"), ...enc("e")], "the probe would show a word spanning the token");
  assert.equal(tok.decode(hf(`x ${END_OF_TEXT}y`)), `x ${END_OF_TEXT}y`);
});

const token = (id: number, content: string, opts: Partial<AddedToken> = {}): AddedToken => ({
  id, content, special: false, singleWord: false, lstrip: false, rstrip: false, normalized: false, ...opts,
});

/** Pieces with the ids shown as [id] and text as it is, for readable expectations. */
const show = (text: string, tokens: AddedToken[]) => splitAddedTokens(text, tokens).map((p) => (typeof p === "number" ? `[${p}]` : p));

test("the options act as in tokenizers' AddedVocabulary: single_word, lstrip/rstrip on Unicode whitespace, leftmost-longest", () => {
  const tokens = [token(0, "my", { lstrip: true, rstrip: true }), token(1, "name"), token(2, "ony", { singleWord: true }), token(3, "[CLS]", { special: true }), token(4, "[SEP]", { special: true })];
  assert.deepEqual(show("[CLS] my name is anthony [SEP]", tokens), ["[3]", "[0]", "[1]", " is anthony ", "[4]"]);

  const mask = [token(9, "<mask>", { singleWord: true })];
  assert.deepEqual(show("<mask> My name <mask> A<mask> <mask>ony <mask>", mask), ["[9]", " My name ", "[9]", " A<mask> <mask>ony ", "[9]"]);
  // Punctuation is not a word character; a combining mark is (Rust's Unicode \w).
  assert.deepEqual(show("<mask>, <mask>- \u25cc\u0330<mask>", mask), ["[9]", ", ", "[9]", "- \u25cc\u0330<mask>"]);
  const stripping = [token(9, "<mask>", { singleWord: true, lstrip: true, rstrip: true })];
  assert.deepEqual(show("Hi <mask> there\t<mask>\t<mask>\u2000", stripping), ["Hi", "[9]", "there", "[9]", "[9]"]);

  const nested = [token(5, "<|a"), token(6, "<|ab|>"), token(7, "b|")];
  assert.deepEqual(show("x<|ab|>y<|ab|", nested), ["x", "[6]", "y", "[5]", "[7]"], "the longest of the leftmost matches, then on after it");
  assert.deepEqual(show("", nested), []);
});

test("tokens with normalized false are found first, in the raw text; the normalized ones in what is left", () => {
  const tokens = [token(1, "<a>", { normalized: true }), token(2, "a>")];
  assert.deepEqual(show("x<a>y", tokens), ["x<", "[2]", "y"], "one combined pass would have found <a>");
  assert.deepEqual(show("x<a>y", [token(1, "<a>", { normalized: true }), token(2, "q>")]), ["x", "[1]", "y"]);
});

test("added tokens and their options survive tokenizer.json, and every added token splits, special or not", () => {
  const j = tok.toJSON() as { added_tokens: object[]; model: { vocab: Record<string, number> } };
  const n = tok.vocabSize;
  j.added_tokens.push({ id: n, content: "<pad>", single_word: false, lstrip: true, rstrip: false, normalized: false, special: false });
  j.added_tokens.push({ id: n + 1, content: "[X]", special: true }); // normalized defaults to !special
  const loaded = BpeTokenizer.fromJSON(JSON.stringify(j));
  assert.equal(loaded.vocabSize, n + 2);
  assert.deepEqual(loaded.encodeWithAddedTokens("The  <pad>fox[X]"), [...enc("The"), n, ...enc("fox"), n + 1], "lstrip swallows both spaces");
  assert.deepEqual(loaded.encode("The  <pad>fox"), enc("The  <pad>fox"));
  const again = loaded.toJSON() as { added_tokens: object[] };
  assert.deepEqual(again.added_tokens.slice(1), [
    { id: n, content: "<pad>", single_word: false, lstrip: true, rstrip: false, normalized: false, special: false },
    { id: n + 1, content: "[X]", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
  ]);
});
