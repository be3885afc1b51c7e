// A tiny fixed GPT-2 whose next-token distributions are far from uniform (scaled-up random
// weights), so that an off-by-one position or a wrong mask changes log-likelihoods visibly.
import * as tf from "@tensorflow/tfjs";
import { pyRstrip } from "../../lib/eval/preprocess";
import { Rng } from "../../lib/rng";
import { BpeTokenizer } from "../../lib/tokenizer/bpe";
import { createParams, forward, type ModelConfig, type Params } from "../../trainer/model/model";

export const TEXTS = [
  "The quick brown fox jumps over the lazy dog near the river bank.",
  "A model that reads the text learns which token comes next in a sentence.",
  "She sells sea shells by the sea shore, and the shells she sells are sea shells.",
  "Every evening the old man walked his dog along the quiet harbour wall.",
];

export function smallTokenizer(): BpeTokenizer {
  return BpeTokenizer.train(Array.from({ length: 10 }, () => TEXTS).flat(), { vocabSize: 320 });
}

const SCALE: [RegExp, number][] = [[/^wte$/, 40], [/^wpe$/, 20], [/\.w$/, 8]];

export function peakedModel(vocabSize: number, over: Partial<ModelConfig> = {}, seed = 5): { params: Params; cfg: ModelConfig } {
  const cfg: ModelConfig = { nLayer: 2, nHead: 2, dModel: 32, contextLength: 16, vocabSize, ...over };
  const params = createParams(cfg, new Rng(seed));
  for (const [name, p] of params) {
    const k = SCALE.find(([re]) => re.test(name))?.[1];
    if (k) tf.tidy(() => p.assign(tf.mul(p, k)));
  }
  return { params, cfg };
}

/** Per-position log-softmax of one unbatched causal forward pass, in float64 JS. */
export function referenceLogProbs(params: Params, cfg: ModelConfig, input: number[]): number[][] {
  const logits = tf.tidy(() => forward(params, { ...cfg, objective: "clm" }, tf.tensor2d(input, [1, input.length], "int32")));
  const flat = logits.dataSync();
  logits.dispose();
  const V = cfg.vocabSize;
  return input.map((_, t) => {
    const row = Array.from(flat.subarray(t * V, (t + 1) * V));
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    return row.map((x) => x - lse);
  });
}

/**
 * The harness's loglikelihood for one request, computed the slow way (lm_eval/api/model.py and
 * models/huggingface.py): null where the harness's asserts refuse the request.
 */
export function referenceLoglik(params: Params, cfg: ModelConfig, tok: BpeTokenizer, context: string, continuation: string) {
  const enc = (s: string) => tok.encodeWithAddedTokens(s);
  let ctx: number[];
  let cont: number[];
  if (context === "") {
    cont = enc(continuation);
    ctx = cont[0] === tok.eotId ? cont.splice(0, 1) : [tok.eotId];
  } else {
    const kept = pyRstrip(context);
    const whole = enc(context + continuation);
    ctx = enc(kept);
    cont = whole.slice(ctx.length);
  }
  if (ctx.length === 0 || cont.length === 0 || cont.length > cfg.contextLength) return null;
  const all = [...ctx, ...cont];
  const window = all.slice(Math.max(0, all.length - (cfg.contextLength + 1)));
  const input = window.slice(0, -1);
  const lp = referenceLogProbs(params, cfg, input);
  let ll = 0;
  let isGreedy = true;
  for (let k = window.length - cont.length; k < window.length; k++) {
    const row = lp[k - 1];
    ll += row[window[k]];
    isGreedy &&= row.indexOf(Math.max(...row)) === window[k];
  }
  return { ll, isGreedy, tokens: all.length, continuationTokens: cont.length };
}
