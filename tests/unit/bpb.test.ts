import assert from "node:assert/strict";
import { test } from "node:test";
import { bitsPerByte, textBytes } from "../../lib/bpb";
import { BpeTokenizer } from "../../lib/tokenizer/bpe";
import { tokenByteLengths } from "../../lib/tokenizer/stats";

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} is not ${b}`);

test("bits per byte: a uniform guess over 256 bytes, one byte a token, is 8 bits; the same text cut in fewer tokens costs the same", () => {
  close(bitsPerByte(Math.log(256), 1000, 1000), 8);
  // 1000 bytes as 400 tokens at 2.5× the loss per token: the same nats in all, so the same bits per byte.
  close(bitsPerByte(2.5 * Math.log(256), 400, 1000), 8);
  // 4 tokens, 10 bytes, 3 nats a token: 12 nats / 10 bytes / ln 2 = 1.7312 bits.
  close(bitsPerByte(3, 4, 10), 1.2 / Math.LN2);
  assert.throws(() => bitsPerByte(3, 4, 0), /needs text/);
});

test("text bytes of token ids: each token's UTF-8 length, end of text counts 0, unknown ids refused", () => {
  const text = "the cat sat on the mat. naïve café, 東京 the cat";
  const tok = BpeTokenizer.train([text, text, text], { vocabSize: 300 });
  const lengths = tokenByteLengths(tok);
  assert.equal(lengths.length, tok.vocabSize);
  assert.equal(lengths[tok.eotId], 0);
  const ids = tok.encode(text);
  assert.ok(ids.length < Buffer.byteLength(text), "merges made multi-byte tokens");
  assert.equal(textBytes(ids, lengths), Buffer.byteLength(text, "utf8"));
  assert.equal(textBytes([...ids, tok.eotId, ...ids], lengths), 2 * Buffer.byteLength(text, "utf8"));
  assert.throws(() => textBytes([tok.vocabSize], lengths), /outside the vocabulary/);
});
