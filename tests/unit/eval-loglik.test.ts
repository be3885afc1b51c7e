import assert from "node:assert/strict";
import { after, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { END_OF_TEXT } from "../../lib/tokenizer/vocab";
import { selectBackend } from "../../trainer/backend/backend";
import { encodeRequest, isUnscorable, loglikelihoods, type LoglikRequest, type LoglikResult, type Unscorable } from "../../trainer/eval/loglik";
import { disposeParams } from "../../trainer/model/model";
import { peakedModel, referenceLoglik, referenceLogProbs, smallTokenizer, TEXTS } from "../helpers/peaked-model";

await selectBackend("wasm");
const tok = smallTokenizer();
const enc = (s: string) => tok.encodeWithAddedTokens(s);
const { params, cfg } = peakedModel(tok.vocabSize);
after(() => disposeParams(params));

const scoredOf = (r: LoglikResult | Unscorable): LoglikResult => {
  if (isUnscorable(r)) throw new Error(`unexpectedly skipped: ${r.skipped}`);
  return r;
};
const score = async (requests: LoglikRequest[], batchSize = 4) => loglikelihoods(params, cfg, tok, requests, { batchSize });

const long = TEXTS.join(" ");
const requests: LoglikRequest[] = [
  { context: "The quick brown", continuation: " fox" },
  { context: "She sells sea", continuation: " shells by the sea" },
  { context: long, continuation: " dog" }, // context far beyond the 16-token window
  { context: "A", continuation: " model that reads" },
  { context: "", continuation: "Every evening" },
  { context: "the old man walked his", continuation: " dog along the quiet" },
];

test("batched log-likelihoods match a naive per-request reference, truncation and mixed lengths included", async () => {
  assert.ok(enc(long).length > 3 * cfg.contextLength, "the long text overflows the window");
  const expected = requests.map((r) => referenceLoglik(params, cfg, tok, r.context, r.continuation)!);
  for (const batchSize of [1, 3, 8]) {
    const got = (await score(requests, batchSize)).map(scoredOf);
    got.forEach((g, i) => {
      assert.ok(Math.abs(g.ll - expected[i].ll) < 1e-3 * Math.max(1, Math.abs(expected[i].ll)), `batch ${batchSize}, request ${i}: ${g.ll} vs ${expected[i].ll}`);
      assert.equal(g.isGreedy, expected[i].isGreedy, `batch ${batchSize}, request ${i}`);
    });
  }
  // The model is far from uniform, so a wrong position or mask would show.
  const perToken = expected.map((e) => e.ll / e.continuationTokens);
  assert.ok(Math.max(...perToken) - Math.min(...perToken) > 1, `per-token log-likelihoods ${perToken}`);
  assert.ok(expected.every((e) => e.ll < 0 && Number.isFinite(e.ll)));
});

test("a continuation longer than the context window is refused, as the harness's assert does; one exactly as long keeps one context token", async () => {
  // Continuations of exactly contextLength and contextLength + 1 tokens, cut from the long text at a word boundary.
  const words = long.split(" ");
  let k = 1;
  const contOf = (n: number) => " " + words.slice(0, n).join(" ");
  const tokensOf = (n: number) => encodeRequest(tok, { context: "Every", continuation: contOf(n) }).continuation.length;
  while (tokensOf(k) <= cfg.contextLength) k++;
  const fits = { context: "Every", continuation: contOf(k - 1) };
  const over = { context: "Every", continuation: contOf(k) };
  const fitsLength = tokensOf(k - 1);
  assert.ok(fitsLength <= cfg.contextLength && tokensOf(k) > cfg.contextLength);
  const [a, b, c] = await score([fits, over, { context: "Every", continuation: long }]);
  const ref = referenceLoglik(params, cfg, tok, fits.context, fits.continuation)!;
  assert.ok(Math.abs(scoredOf(a).ll - ref.ll) < 1e-3 * Math.abs(ref.ll), `${scoredOf(a).ll} vs ${ref.ll}`);
  assert.equal(ref.continuationTokens, fitsLength, "every continuation token is scored");
  for (const r of [b, c]) {
    assert.ok(isUnscorable(r));
    assert.match(r.skipped, new RegExp(`^the continuation is longer than the model's ${cfg.contextLength}-token context \\(\\d+ tokens\\)$`));
  }
  assert.equal(referenceLoglik(params, cfg, tok, over.context, over.continuation), null);
});

test("isGreedy is true exactly when the model's argmax spells the continuation", async () => {
  const greedy: LoglikRequest[] = [];
  for (const text of TEXTS)
    for (let cut = 3; cut < 12 && greedy.length < 4; cut++) {
      const ids = enc(text).slice(0, cut);
      const lp = referenceLogProbs(params, cfg, ids).at(-1)!;
      const next = lp.indexOf(Math.max(...lp));
      const continuation = tok.decode([next]);
      const context = tok.decode(ids);
      // Only pairs that tokenize back to the same ids, encoded whole and split.
      const e = !/\s$/.test(context) && encodeRequest(tok, { context, continuation });
      if (e && e.continuation.join() === String(next) && e.context.join() === ids.join()) greedy.push({ context, continuation });
    }
  assert.ok(greedy.length >= 2, `found ${greedy.length} greedy continuations`);
  const got = (await score([...greedy, ...requests])).map(scoredOf);
  assert.ok(got.slice(0, greedy.length).every((r) => r.isGreedy));
  assert.ok(got.slice(greedy.length).some((r) => !r.isGreedy));
});

test("tokens as the harness's _encode_pair makes them: whitespace moves, the whole string is encoded and split at the context's length", async () => {
  const [a, b] = (await score([{ context: "The quick brown ", continuation: "fox" }, { context: "The quick brown", continuation: " fox" }], 2)).map(scoredOf);
  // The same tokens in two rows of one batch: a BLAS may round the rows' last bits differently.
  assert.equal(a.isGreedy, b.isGreedy);
  assert.ok(Math.abs(a.ll - b.ll) <= 1e-6 * Math.abs(a.ll), `${a.ll} vs ${b.ll}`);

  // "shells" is one BPE word: split after "sh"'s two tokens, the continuation is the whole's last token.
  const whole = enc("shells");
  assert.deepEqual(encodeRequest(tok, { context: "sh", continuation: "ells" }), { context: enc("sh"), continuation: whole.slice(enc("sh").length) });
  assert.notDeepEqual(whole.slice(enc("sh").length), enc("ells"), "separate encoding would differ here");
  const [split] = (await score([{ context: "sh", continuation: "ells" }])).map(scoredOf);
  // The model reads the context's own tokens, then the continuation's: not the whole's tokens.
  const cont = whole.slice(enc("sh").length);
  const window = [...enc("sh"), ...cont];
  const lp = referenceLogProbs(params, cfg, window.slice(0, -1));
  const expected = cont.reduce((s, t, i) => s + lp[window.length - cont.length + i - 1][t], 0);
  assert.ok(Math.abs(split.ll - expected) < 1e-3 * Math.abs(expected), `${split.ll} vs ${expected}`);
  // "the" merges across the cut: the continuation gets no tokens of its own, and the harness would assert.
  const [none] = await score([{ context: "th", continuation: "e" }]);
  assert.ok(isUnscorable(none) && /continuation encodes to no tokens/.test(none.skipped));
});

test("the empty-context check comes before stripping; an empty context starts from end-of-text unless the continuation does", async () => {
  const [spaces, empty, eotFirst, eotOnly] = await score([
    { context: "  ", continuation: "Every evening" },
    { context: "", continuation: "Every evening" },
    { context: "", continuation: `${END_OF_TEXT}Every evening` },
    { context: "", continuation: END_OF_TEXT },
  ]);
  assert.ok(isUnscorable(spaces) && /context is only whitespace/.test(spaces.skipped), "whitespace only is not empty: stripped, it encodes to nothing");
  assert.deepEqual(encodeRequest(tok, { context: "", continuation: `${END_OF_TEXT}Every evening` }), { context: [tok.eotId], continuation: enc("Every evening") });
  assert.ok(Math.abs(scoredOf(empty).ll - scoredOf(eotFirst).ll) < 1e-5 * Math.abs(scoredOf(empty).ll), "the continuation's own end-of-text is its context");
  assert.ok(isUnscorable(eotOnly));
  const [mid] = (await score([{ context: `The dog${END_OF_TEXT}`, continuation: " The fox" }])).map(scoredOf);
  const ref = referenceLoglik(params, cfg, tok, `The dog${END_OF_TEXT}`, " The fox")!;
  assert.ok(enc(`The dog${END_OF_TEXT}`).includes(tok.eotId));
  assert.ok(Math.abs(mid.ll - ref.ll) < 1e-3 * Math.abs(ref.ll));
});

test("an mlm model cannot be scored; reads are one per batch and nothing leaks", async () => {
  await assert.rejects(loglikelihoods(params, { ...cfg, objective: "mlm" }, tok, requests, { batchSize: 4 }), /masked LM/);
  const [empty] = await score([{ context: "a", continuation: "" }]);
  assert.ok(isUnscorable(empty) && /encodes to no tokens/.test(empty.skipped));
  const before = tf.memory().numTensors;
  const reads: number[] = [];
  const original = tf.Tensor.prototype.data;
  tf.Tensor.prototype.data = function (this: tf.Tensor) {
    reads.push(this.size);
    return original.call(this);
  } as typeof original;
  try {
    await score(requests, 3);
  } finally {
    tf.Tensor.prototype.data = original;
  }
  assert.equal(reads.length, Math.ceil(requests.length / 3));
  assert.equal(tf.memory().numTensors, before);
});
