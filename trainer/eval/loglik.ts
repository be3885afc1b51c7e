/**
 * Log-likelihood of continuations given contexts, as lm-evaluation-harness's `loglikelihood`
 * computes it: the continuation's summed log-probability and whether greedy decoding would have
 * produced it.
 */
import * as tf from "@tensorflow/tfjs";
import { pyRstrip } from "../../lib/eval/preprocess";
import type { LoglikRequest, LoglikResult } from "../../lib/eval/tasks";
import { hiddenStates, lmHead, type ModelConfig, type Params } from "../model/model";

export type { LoglikRequest, LoglikResult };

export interface Encoder {
  /** Text as the harness's Hugging Face tokenizer encodes it: added tokens such as <|endoftext|> become their ids. */
  encodeWithAddedTokens(text: string): number[];
  readonly eotId: number;
}

/** Context and continuation tokens of one request, before the window is cut. */
export interface EncodedRequest {
  context: number[];
  continuation: number[];
}

export interface Prepared {
  /** Model input: the window's tokens without the last one. */
  input: number[];
  /** Continuation tokens scored, predicted from input positions input.length - targets.length ... input.length - 1. */
  targets: number[];
}

/** A request the harness cannot score (its _loglikelihood_tokens asserts), with the reason. */
export interface Unscorable {
  skipped: string;
}

export const isUnscorable = (x: object): x is Unscorable => "skipped" in x;

/**
 * Tokens of one request as the harness's TemplateLM.loglikelihood and _encode_pair
 * (lm_eval/api/model.py) make them. An empty context (checked before anything is stripped) gives
 * the continuation encoded alone after the prefix token (end-of-text), or, when the continuation
 * starts with that token, its own first token as the context. Otherwise whitespace that ends the
 * context moves to the start of the continuation; then context + continuation is encoded whole,
 * the context alone, and the continuation is the whole's tokens after the context's count.
 */
export function encodeRequest(tokenizer: Encoder, req: LoglikRequest, encodeContext = (s: string) => tokenizer.encodeWithAddedTokens(s)): EncodedRequest {
  if (req.context === "") {
    const cont = tokenizer.encodeWithAddedTokens(req.continuation);
    if (cont.length > 0 && cont[0] === tokenizer.eotId) return { context: cont.slice(0, 1), continuation: cont.slice(1) };
    return { context: [tokenizer.eotId], continuation: cont };
  }
  const context = pyRstrip(req.context);
  const continuation = req.context.slice(context.length) + req.continuation;
  const whole = tokenizer.encodeWithAddedTokens(context + continuation);
  const ctx = encodeContext(context);
  return { context: ctx, continuation: whole.slice(ctx.length) };
}

/**
 * The window _loglikelihood_tokens scores: the last contextLength + 1 tokens of context +
 * continuation, so the context is cut from the left; the input drops the last token. The
 * harness asserts a non-empty context, a non-empty continuation, and a continuation of at most
 * contextLength tokens (one that long keeps a single context token); a request that fails one of
 * them cannot be scored whole, and is returned as Unscorable instead.
 */
export function windowRequest(enc: EncodedRequest, contextLength: number): Prepared | Unscorable {
  const { context, continuation } = enc;
  if (context.length === 0) return { skipped: "the context is only whitespace, so it encodes to no tokens" };
  if (continuation.length === 0) return { skipped: "the continuation encodes to no tokens" };
  if (continuation.length > contextLength)
    return { skipped: `the continuation is longer than the model's ${contextLength}-token context (${continuation.length} tokens)` };
  const window = [...context, ...continuation].slice(-(contextLength + 1));
  return { input: window.slice(0, -1), targets: continuation };
}

/** Each request's window, or why it cannot be scored. Contexts shared by several requests (the choices of one example) are encoded once. */
export function prepareRequests(tokenizer: Encoder, contextLength: number, requests: LoglikRequest[]): (Prepared | Unscorable)[] {
  const contexts = new Map<string, number[]>();
  const encodeContext = (s: string) => {
    let ids = contexts.get(s);
    if (!ids) contexts.set(s, (ids = tokenizer.encodeWithAddedTokens(s)));
    return ids;
  };
  return requests.map((r) => windowRequest(encodeRequest(tokenizer, r, encodeContext), contextLength));
}

/**
 * Scores one batch of prepared requests with one forward pass and one host read. Rows are
 * padded on the right to the longest; under the causal mask a position never attends to the
 * padding after it, and padded positions are never read.
 */
async function scoreBatch(params: Params, cfg: ModelConfig, batch: Prepared[], pad: number): Promise<LoglikResult[]> {
  const B = batch.length;
  const T = Math.max(...batch.map((p) => p.input.length));
  const ids = new Int32Array(B * T).fill(pad);
  const rows: number[] = [];
  const targets: number[] = [];
  batch.forEach((p, b) => {
    ids.set(p.input, b * T);
    const first = p.input.length - p.targets.length;
    p.targets.forEach((t, k) => {
      rows.push(b * T + first + k);
      targets.push(t);
    });
  });
  const V = cfg.vocabSize;
  const packed = tf.tidy(() => {
    const h = hiddenStates(params, cfg, tf.tensor2d(ids, [B, T], "int32"));
    // The LM head on continuation positions only: over all of B*T it would dominate the cost.
    const logits = lmHead(params, tf.gather(h, tf.tensor1d(rows, "int32")), cfg);
    const logp = tf.logSoftmax(logits);
    const at = tf.tensor1d(targets.map((t, i) => i * V + t), "int32");
    const picked = tf.gather(tf.reshape(logp, [-1]), at);
    const greedy = tf.cast(tf.equal(tf.argMax(logits, -1), tf.tensor1d(targets, "int32")), "float32");
    return tf.stack([picked, greedy]);
  });
  const data = await packed.data(); // asynchronous: webgpu in Node cannot read synchronously
  packed.dispose();
  const N = targets.length;
  const out: LoglikResult[] = [];
  let at = 0;
  for (const p of batch) {
    let ll = 0;
    let isGreedy = true;
    for (let k = 0; k < p.targets.length; k++, at++) {
      ll += data[at];
      isGreedy &&= data[N + at] === 1;
    }
    out.push({ ll, isGreedy });
  }
  return out;
}

/**
 * Log-likelihoods of prepared windows, in their order. They are sorted by length (longest first,
 * as the harness does) and batched, so a batch pads little. A prefix-LM model is scored causally:
 * the whole window under the causal mask, which keeps scoring one forward pass per batch; its
 * bidirectional prefix is not used. An mlm model has no next-token distribution to score.
 */
export async function scorePrepared(params: Params, cfg: ModelConfig, prepared: Prepared[], opts: { batchSize: number; pad: number }): Promise<LoglikResult[]> {
  if (cfg.objective === "mlm")
    throw new Error("the model was trained as a masked LM (objective mlm); it does not predict the next token, so log-likelihood benchmarks cannot score it");
  if (!(opts.batchSize >= 1)) throw new Error(`batchSize must be at least 1, got ${opts.batchSize}`);
  const causal: ModelConfig = { ...cfg, objective: "clm", gradientCheckpointing: false };
  const order = prepared.map((_, i) => i).sort((a, b) => prepared[b].input.length - prepared[a].input.length || a - b);
  const results = new Array<LoglikResult>(prepared.length);
  for (let i = 0; i < order.length; i += opts.batchSize) {
    const idx = order.slice(i, i + opts.batchSize);
    const scored = await scoreBatch(params, causal, idx.map((j) => prepared[j]), opts.pad);
    idx.forEach((j, k) => (results[j] = scored[k]));
  }
  return results;
}

/** Log-likelihoods of `requests`, in their order; a request the harness cannot score comes back as Unscorable. */
export async function loglikelihoods(
  params: Params,
  cfg: ModelConfig,
  tokenizer: Encoder,
  requests: LoglikRequest[],
  opts: { batchSize: number },
): Promise<(LoglikResult | Unscorable)[]> {
  const prepared = prepareRequests(tokenizer, cfg.contextLength, requests);
  const scorable = prepared.filter((p): p is Prepared => !isUnscorable(p));
  const scored = await scorePrepared(params, cfg, scorable, { batchSize: opts.batchSize, pad: tokenizer.eotId });
  let at = 0;
  return prepared.map((p) => (isUnscorable(p) ? p : scored[at++]));
}
