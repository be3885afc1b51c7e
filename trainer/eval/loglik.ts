/**
 * Log-likelihood of continuations given contexts, as lm-evaluation-harness's `loglikelihood`
 * computes it: the continuation's summed log-probability and whether greedy decoding would have
 * produced it.
 */
import * as tf from "@tensorflow/tfjs";
import { pyRstrip } from "../../lib/eval/preprocess";
import type { LoglikRequest, LoglikResult } from "../../lib/eval/tasks";
import { hiddenStates, lmHead, type ModelConfig, type Params } from "../model";

export type { LoglikRequest, LoglikResult };

export interface Encoder {
  encode(text: string): number[];
  readonly eotId: number;
}

interface Prepared {
  /** Model input: the window's tokens without the last one. */
  input: number[];
  /** Continuation tokens scored, predicted from input positions input.length - targets.length ... input.length - 1. */
  targets: number[];
}

/**
 * Tokens of one request, cut to the model's window, as the harness's _encode_pair makes them.
 * Context and continuation are encoded separately, so the continuation's leading space stays
 * inside the continuation (whitespace that ends the context is moved there too); an empty context
 * becomes the end-of-text token, so the first continuation token has something to follow.
 */
export function prepareRequest(tokenizer: Encoder, contextLength: number, req: LoglikRequest): Prepared {
  const context = pyRstrip(req.context);
  const continuation = req.context.slice(context.length) + req.continuation;
  const ctx = context === "" ? [tokenizer.eotId] : tokenizer.encode(context);
  const cont = tokenizer.encode(continuation);
  if (cont.length === 0) throw new Error(`continuation ${JSON.stringify(continuation)} encodes to no tokens`);
  // Left truncation keeps the last contextLength + 1 tokens. When the continuation alone is that
  // long, its first tokens become context (or fall out), and only its last contextLength are scored.
  const window = [...ctx, ...cont].slice(-(contextLength + 1));
  const scored = Math.min(cont.length, window.length - 1);
  return { input: window.slice(0, -1), targets: window.slice(window.length - scored) };
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
    const logits = lmHead(params, tf.gather(h, tf.tensor1d(rows, "int32")));
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
 * Log-likelihoods of `requests`, in their order. Requests are sorted by length (longest first, as
 * the harness does) and batched, so a batch pads little. A prefix-LM model is scored causally:
 * the whole window under the causal mask, which keeps scoring one forward pass per batch; its
 * bidirectional prefix is not used. An mlm model has no next-token distribution to score.
 */
export async function loglikelihoods(
  params: Params,
  cfg: ModelConfig,
  tokenizer: Encoder,
  requests: LoglikRequest[],
  opts: { batchSize: number },
): Promise<LoglikResult[]> {
  if (cfg.objective === "mlm")
    throw new Error("the model was trained as a masked LM (objective mlm); it does not predict the next token, so log-likelihood benchmarks cannot score it");
  if (!(opts.batchSize >= 1)) throw new Error(`batchSize must be at least 1, got ${opts.batchSize}`);
  const causal: ModelConfig = { ...cfg, objective: "clm", gradientCheckpointing: false };
  const prepared = requests.map((r) => prepareRequest(tokenizer, cfg.contextLength, r));
  const order = prepared.map((_, i) => i).sort((a, b) => prepared[b].input.length - prepared[a].input.length || a - b);
  const results = new Array<LoglikResult>(requests.length);
  for (let i = 0; i < order.length; i += opts.batchSize) {
    const idx = order.slice(i, i + opts.batchSize);
    const scored = await scoreBatch(params, causal, idx.map((j) => prepared[j]), tokenizer.eotId);
    idx.forEach((j, k) => (results[j] = scored[k]));
  }
  return results;
}
