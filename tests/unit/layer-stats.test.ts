import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { layerKey, modelRows, paramRow, rowName } from "../../lib/layer-stats";
import type { MetricPoint } from "../../lib/protocol";
import { Rng } from "../../lib/rng";
import { selectBackend } from "../../trainer/backend/backend";
import { globalNorm } from "../../trainer/loop/clip";
import { LayerStats, layerStatKeys } from "../../trainer/loop/layer-stats";
import { createParams, disposeParams, hiddenStates, lmHead, lossFn, type ModelConfig, type Params } from "../../trainer/model/model";
import { AdamW } from "../../trainer/optimizers";

await selectBackend("wasm");
const V = 40;
const T = 6;
const B = 3;
const rng = new Rng(3);
const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
const targets = Int32Array.from({ length: B * T }, () => rng.int(V));
const batch = { x: ids, y: targets };

const cfgOf = (over: Partial<ModelConfig> = {}): ModelConfig => ({ nLayer: 3, nHead: 2, dModel: 8, contextLength: T, vocabSize: V, ...over });
const read = (t: tf.Tensor) => Array.from(t.dataSync());
const sumSq = (xs: ArrayLike<number>) => Array.from(xs).reduce((s, x) => s + x * x, 0);
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

/** One stats step: gradients of the batch's loss, captured, then an AdamW update (or none), then the points. */
async function statsStep(params: Params, cfg: ModelConfig, apply: boolean) {
  const stats = new LayerStats(params, cfg, 1);
  const before = new Map([...params].map(([n, p]) => [n, read(p)]));
  const { grads, norm } = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => lossFn(params, cfg, tf.tensor2d(ids, [B, T], "int32"), tf.tensor2d(targets, [B, T], "int32")), [...params.values()]);
    const map = new Map(Object.entries(grads));
    stats.capture(0, map, batch, B, T);
    return { grads, norm: globalNorm(map.values()) };
  });
  const gradsByName = new Map([...params].map(([n, p]) => [n, read(grads[p.name])]));
  if (apply) {
    const optim = new AdamW(params, { beta1: 0.9, beta2: 0.95, weightDecay: 0.1 });
    optim.learningRate = 0.05;
    optim.applyGradients(grads);
    optim.dispose();
  }
  tf.dispose(grads);
  const points = await stats.points(0, 1);
  const value = (key: string) => {
    const p = points.find((m) => m.key === key);
    assert.ok(p, `no point ${key}`);
    return p.value as number;
  };
  const globalNormValue = read(norm)[0];
  norm.dispose();
  return { points, value, before, gradsByName, globalNormValue };
}

test("every parameter has a row, and the keys cover each row and head", () => {
  const cfg = cfgOf();
  for (const arch of ["gpt2", "llama"] as const) {
    const params = createParams({ ...cfg, arch }, new Rng(1));
    for (const name of params.keys()) assert.ok(paramRow(name), name);
    disposeParams(params);
  }
  assert.deepEqual(paramRow("h.12.mlp.w1"), { block: 12 });
  assert.equal(paramRow("wpe"), "emb");
  assert.equal(paramRow("norm_f.g"), "lnf");
  const keys = layerStatKeys(cfg);
  assert.equal(keys.length, 5 * (cfg.nLayer + 2) + cfg.nLayer * cfg.nHead + 2);
  assert.ok(keys.includes("layers/attn_entropy/02.h01") && keys.includes("layers/grad_norm/lnf") && keys.includes("logits/log_z"));
});

test("grad norms per row match the gradients by hand and their squares sum to the global norm²; update ratio and param norm match the weights read before and after", async () => {
  const cfg = cfgOf();
  const params = createParams(cfg, new Rng(7));
  const tensorsBefore = tf.memory().numTensors;
  const { points, value, before, gradsByName, globalNormValue } = await statsStep(params, cfg, true);
  assert.deepEqual(points.map((p) => p.key), layerStatKeys(cfg));
  assert.equal(tf.memory().numTensors, tensorsBefore, "no tensor is left behind");
  let total = 0;
  for (const row of modelRows(cfg.nLayer)) {
    const names = [...params.keys()].filter((n) => rowName(paramRow(n)!) === rowName(row));
    const g2 = names.reduce((s, n) => s + sumSq(gradsByName.get(n)!), 0);
    total += value(layerKey("grad_norm", row)) ** 2;
    close(value(layerKey("grad_norm", row)), Math.sqrt(g2), 1e-4, `grad norm of ${rowName(row)}`);
    const after = names.map((n) => read(params.get(n)!));
    const theta = Math.sqrt(names.reduce((s, n) => s + sumSq(before.get(n)!), 0));
    const delta = Math.sqrt(names.reduce((s, n, i) => s + sumSq(after[i].map((x, j) => x - before.get(n)![j])), 0));
    close(value(layerKey("param_norm", row)), Math.sqrt(after.reduce((s, a) => s + sumSq(a), 0)), 1e-4, `param norm of ${rowName(row)}`);
    close(value(layerKey("update_ratio", row)), delta / theta, 1e-3, `update ratio of ${rowName(row)}`);
    assert.ok(delta > 0, "the update moved every row");
  }
  close(Math.sqrt(total), globalNormValue, 1e-5, "Σ row norms² = global norm²");
  disposeParams(params);
});

test("a skipped update has ratio 0", async () => {
  const cfg = cfgOf();
  const params = createParams(cfg, new Rng(8));
  const { value } = await statsStep(params, cfg, false);
  for (const row of modelRows(cfg.nLayer)) assert.equal(value(layerKey("update_ratio", row)), 0);
  disposeParams(params);
});

for (const objective of ["clm", "mlm"] as const)
  test(`uniform attention (${objective}) has entropy log(visible keys); activations and logits match the forward read by hand`, async () => {
    const cfg = cfgOf({ objective });
    const params = createParams(cfg, new Rng(9));
    // Zero query and key weights: every score is 0, so each query attends uniformly to the keys it may see.
    const C = cfg.dModel;
    for (let l = 0; l < cfg.nLayer; l++) {
      const w = params.get(`h.${l}.attn.c_attn.w`)!;
      const keep = tf.tidy(() => tf.concat([tf.zeros([C, 2 * C]), tf.slice(w, [0, 2 * C], [C, C])], 1));
      w.assign(keep);
      keep.dispose();
    }
    const { value } = await statsStep(params, cfg, false);
    const n = Math.min(B, 4);
    const visible = (i: number) => (objective === "clm" ? i + 1 : T);
    const expected = Array.from({ length: T }, (_, i) => Math.log(visible(i))).reduce((a, b) => a + b, 0) / T;
    for (let l = 0; l < cfg.nLayer; l++)
      for (let h = 0; h < cfg.nHead; h++) close(value(layerKey("attn_entropy", { block: l, head: h })), expected, 1e-5, `entropy of ${l}.${h}`);

    // The final norm's output and the logits, computed without the probe.
    const hidden = tf.tidy(() => hiddenStates(params, cfg, tf.tensor2d(ids.subarray(0, n * T), [n, T], "int32")));
    const h = read(hidden);
    close(value(layerKey("act_rms", "lnf")), Math.sqrt(sumSq(h) / h.length), 1e-5, "act rms of lnf");
    close(value(layerKey("act_max", "lnf")), Math.max(...h.map(Math.abs)), 1e-5, "act max of lnf");
    const logits = read(tf.tidy(() => lmHead(params, hidden, cfg)));
    hidden.dispose();
    close(value("logits/max"), Math.max(...logits), 1e-5, "logit max");
    let logZ = 0;
    for (let r = 0; r < n * T; r++) {
      const row = logits.slice(r * V, (r + 1) * V);
      const m = Math.max(...row);
      logZ += m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
    }
    close(value("logits/log_z"), logZ / (n * T), 1e-5, "mean log Z");
    // The embeddings' output by hand: wte[id] + wpe[t].
    const wte = read(params.get("wte")!);
    const wpe = read(params.get("wpe")!);
    const emb: number[] = [];
    for (let r = 0; r < n * T; r++) for (let c = 0; c < C; c++) emb.push(wte[ids[r] * C + c] + wpe[(r % T) * C + c]);
    close(value(layerKey("act_rms", "emb")), Math.sqrt(sumSq(emb) / emb.length), 1e-5, "act rms of emb");
    close(value(layerKey("act_max", "emb")), Math.max(...emb.map(Math.abs)), 1e-5, "act max of emb");
    disposeParams(params);
  });

test("llama rows and heads are logged too, all finite", async () => {
  const cfg = cfgOf({ arch: "llama" });
  const params = createParams(cfg, new Rng(2));
  const { points } = await statsStep(params, cfg, true);
  assert.deepEqual(points.map((p: MetricPoint) => p.key), layerStatKeys(cfg));
  assert.ok(points.every((p) => Number.isFinite(p.value)), "finite");
  // Entropy lies between 0 and log(T).
  for (const p of points.filter((m) => m.key.startsWith("layers/attn_entropy/"))) assert.ok(p.value! >= 0 && p.value! <= Math.log(T) + 1e-6, p.key);
  disposeParams(params);
});
