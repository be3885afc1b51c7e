import assert from "node:assert/strict";
import { test } from "node:test";
import { BYTE_TO_CHAR, bytesToChars, charsToBytes, pretokenize } from "../../lib/tokenizer/byte-level";

test("every byte maps to its own printable, non-space character, and back", () => {
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  for (const c of BYTE_TO_CHAR) {
    assert.equal(c.length, 1);
    assert.doesNotMatch(c, /[\p{White_Space}\p{Cc}]/u);
  }
  // GPT-2's well-known spellings.
  assert.equal(BYTE_TO_CHAR[0x20], "Ġ");
  assert.equal(BYTE_TO_CHAR[0x0a], "Ċ");
  assert.equal(BYTE_TO_CHAR[0x00], "Ā");
  assert.equal(BYTE_TO_CHAR[0x41], "A");
  assert.equal(BYTE_TO_CHAR[0xad], "Ń", "soft hyphen, the last unprintable byte, is 256 + 67");
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(charsToBytes(bytesToChars(all)), all);
  assert.equal(charsToBytes("abc€"), null, "€ is not in the byte alphabet");
});

test("GPT-2 split: contractions, letters, numbers, other, whitespace runs", () => {
  assert.deepEqual(pretokenize("Hello world's 12345 ok!!  x\n\n  y"), ["Hello", " world", "'s", " 12345", " ok", "!!", " ", " x", "\n\n ", " y"]);
  assert.deepEqual(pretokenize("I'll don't we've"), ["I", "'ll", " don", "'t", " we", "'ve"]);
  assert.deepEqual(pretokenize("  trailing   "), [" ", " trailing", "   "]);
  assert.deepEqual(pretokenize("naïve café 東京タワー ١٢٣"), ["naïve", " café", " 東京タワー", " ١٢٣"]);
  assert.deepEqual(pretokenize("e\u0301 😀😀 a\u0000b"), ["e", "\u0301", " 😀😀", " a", "\u0000", "b"]);
  // U+0085 is white space in tokenizers' regex; U+FEFF is not.
  assert.deepEqual(pretokenize("a\u0085b\ufeffc"), ["a", "\u0085", "b", "\ufeff", "c"]);
  assert.deepEqual(pretokenize(""), []);
});
