import assert from "node:assert/strict";
import { after, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../trainer/backend";
import { loglikelihoods, type LoglikRequest } from "../../trainer/eval/loglik";
import { disposeParams } from "../../trainer/model";
import { peakedModel, referenceLoglik, referenceLogProbs, smallTokenizer, TEXTS } from "../helpers/peaked-model";

await selectBackend("wasm");
const tok = smallTokenizer();
const { params, cfg } = peakedModel(tok.vocabSize);
after(() => disposeParams(params));

const long = TEXTS.join(" ");
const requests: LoglikRequest[] = [
  { context: "The quick brown", continuation: " fox" },
  { context: "She sells sea", continuation: " shells by the sea" },
  { context: long, continuation: " dog" }, // context far beyond the 16-token window
  { context: "A", continuation: " model that reads" },
  { context: "", continuation: "Every evening" },
  { context: "Every", continuation: long }, // the continuation alone exceeds the window
  { context: "the old man walked his", continuation: " dog along the quiet" },
];

test("batched log-likelihoods match a naive per-request reference, truncation and mixed lengths included", async () => {
  assert.ok(tok.encode(long).length > 3 * cfg.contextLength, "the long text overflows the window");
  const expected = requests.map((r) => referenceLoglik(params, cfg, tok, r.context, r.continuation));
  for (const batchSize of [1, 3, 8]) {
    const got = await loglikelihoods(params, cfg, tok, requests, { batchSize });
    got.forEach((g, i) => {
      assert.ok(Math.abs(g.ll - expected[i].ll) < 1e-3 * Math.max(1, Math.abs(expected[i].ll)), `batch ${batchSize}, request ${i}: ${g.ll} vs ${expected[i].ll}`);
      assert.equal(g.isGreedy, expected[i].isGreedy, `batch ${batchSize}, request ${i}`);
    });
  }
  // The model is far from uniform, so a wrong position or mask would show.
  const perToken = expected.map((e, i) => e.ll / tok.encode(requests[i].continuation).length);
  assert.ok(Math.max(...perToken) - Math.min(...perToken) > 1, `per-token log-likelihoods ${perToken}`);
  assert.ok(expected.every((e) => e.ll < 0 && Number.isFinite(e.ll)));
});

test("isGreedy is true exactly when the model's argmax spells the continuation", async () => {
  const greedy: LoglikRequest[] = [];
  for (const text of TEXTS)
    for (let cut = 3; cut < 12 && greedy.length < 4; cut++) {
      const ids = tok.encode(text).slice(0, cut);
      const lp = referenceLogProbs(params, cfg, ids).at(-1)!;
      const next = lp.indexOf(Math.max(...lp));
      const continuation = tok.decode([next]);
      const context = tok.decode(ids);
      // Only pairs that tokenize back to the same ids when encoded separately.
      if (tok.encode(continuation).join() === String(next) && tok.encode(context).join() === ids.join() && !/\s$/.test(context))
        greedy.push({ context, continuation });
    }
  assert.ok(greedy.length >= 2, `found ${greedy.length} greedy continuations`);
  const got = await loglikelihoods(params, cfg, tok, [...greedy, ...requests], { batchSize: 4 });
  assert.ok(got.slice(0, greedy.length).every((r) => r.isGreedy));
  assert.ok(got.slice(greedy.length).some((r) => !r.isGreedy));
});

test("whitespace that ends the context moves into the continuation, as in the harness", async () => {
  const [a, b] = await loglikelihoods(params, cfg, tok, [{ context: "The quick brown ", continuation: "fox" }, { context: "The quick brown", continuation: " fox" }], { batchSize: 2 });
  // The same tokens in two rows of one batch: a BLAS may round the rows' last bits differently.
  assert.equal(a.isGreedy, b.isGreedy);
  assert.ok(Math.abs(a.ll - b.ll) <= 1e-6 * Math.abs(a.ll), `${a.ll} vs ${b.ll}`);
});

test("an mlm model cannot be scored; reads are one per batch and nothing leaks", async () => {
  await assert.rejects(loglikelihoods(params, { ...cfg, objective: "mlm" }, tok, requests, { batchSize: 4 }), /masked LM/);
  await assert.rejects(loglikelihoods(params, cfg, tok, [{ context: "a", continuation: "" }], { batchSize: 4 }), /encodes to no tokens/);
  const before = tf.memory().numTensors;
  const reads: number[] = [];
  const original = tf.Tensor.prototype.data;
  tf.Tensor.prototype.data = function (this: tf.Tensor) {
    reads.push(this.size);
    return original.call(this);
  } as typeof original;
  try {
    await loglikelihoods(params, cfg, tok, requests, { batchSize: 3 });
  } finally {
    tf.Tensor.prototype.data = original;
  }
  assert.equal(reads.length, Math.ceil(requests.length / 3));
  assert.equal(tf.memory().numTensors, before);
});
