import assert from "node:assert/strict";
import { test } from "node:test";
import { paramCount } from "../../lib/estimates";
import {
  activationBytes, CHINCHILLA_FIT, chinchillaLoss, computeOptimal, fitRange, fittedLoss, flopsPerTokenBreakdown, outsideFit, fmtBytesDecimal, fmtCount, fmtDuration, fmtSci,
  layerActivationBytes, mixedStates, optimizerStateBytes, planRun, readPlanConfig, regime, secondsAtScale, secondsAtThroughput,
  statesTotal, trainingFlops, trainingTokens, zeroStates, type PlanInput,
} from "../../lib/planning";
import { RunConfig } from "../../lib/run-config";
import { batchSizeAt } from "../../lib/schedule";

const close = (actual: number, expected: number, rel = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} is not within ${rel} of ${expected}`);

// GPT-2 small: L = 12, d = 768, H = 12, Q = 64, T = 1024, V = 50257.
const gpt2Small = { arch: "gpt2" as const, nLayer: 12, nHead: 12, dModel: 768, contextLength: 1024, vocabSize: 50257 };
// A 7B-shaped llama: L = 32, d = 4096, T = 2048, V = 32000; SwiGLU width 8·⌈4096/3⌉ = 10928.
const llama7b = { arch: "llama" as const, nLayer: 32, nHead: 32, dModel: 4096, contextLength: 2048, vocabSize: 32000 };

test("parameter count by hand: GPT-2 small is 124,439,808 and the 7B-shaped llama 6,575,886,336", () => {
  // 50257·768 + 1024·768 + 12·(12·768² + 13·768) + 2·768
  assert.equal(paramCount(gpt2Small), 38_597_376 + 786_432 + 12 * (7_077_888 + 9_984) + 1_536);
  assert.equal(paramCount(gpt2Small), 124_439_808);
  // 32000·4096 + 32·(4·4096² + 3·4096·10928 + 2·4096) + 4096 (tied head)
  assert.equal(paramCount(llama7b), 131_072_000 + 32 * (67_108_864 + 134_283_264 + 8_192) + 4_096);
});

test("FLOPs per token: 6N + 12·L·H·Q·T", () => {
  const f = flopsPerTokenBreakdown(gpt2Small);
  assert.equal(f.dense, 6 * 124_439_808);
  assert.equal(f.attention, 12 * 12 * 12 * 64 * 1024);
  assert.equal(f.total, 746_638_848 + 113_246_208);
  assert.equal(trainingFlops(124_439_808, 8_192_000), 6 * 124_439_808 * 8_192_000);
});

test("training tokens: steps × batch × context, and the batch ramp walked step by step", () => {
  const base = { batchSize: 8, microBatchSize: 0, batchRampStart: 0, batchRampTokens: 0, steps: 1000, contextLength: 1024 };
  assert.equal(trainingTokens(base), 8_192_000);
  // By hand, T = 4, ramp 2 → 8 over 64 tokens: batches 2, 2, 3, 4, 6 (68 tokens), then 5 steps of 8.
  assert.equal(trainingTokens({ ...base, contextLength: 4, steps: 10, batchRampStart: 2, batchRampTokens: 64 }), 68 + 5 * 32);
  const brute = (c: typeof base) => {
    let t = 0;
    for (let s = 0; s < c.steps; s++) t += batchSizeAt(t, c) * c.contextLength;
    return t;
  };
  for (const c of [
    { ...base, steps: 5000, batchSize: 64, batchRampStart: 4, batchRampTokens: 3_000_000, contextLength: 128 },
    { ...base, steps: 777, batchSize: 96, microBatchSize: 8, batchRampStart: 8, batchRampTokens: 1_000_000, contextLength: 64 },
    { ...base, steps: 300, batchSize: 10, microBatchSize: 4, batchRampStart: 2, batchRampTokens: 5_000, contextLength: 16 },
    { ...base, steps: 40, batchSize: 32, batchRampStart: 1, batchRampTokens: 1e9, contextLength: 8 },
  ])
    assert.equal(trainingTokens(c), brute(c), JSON.stringify(c));
});

test("Chinchilla: 70B on 1.4T is compute-optimal at loss ≈ 1.9366; N_opt = √(C/120)", () => {
  const C = 6 * 70e9 * 1.4e12; // 5.88e23
  const opt = computeOptimal(C);
  close(opt.params, 70e9); // √(5.88e23 / 120) = √4.9e21
  close(opt.tokens, 1.4e12);
  // 406.4 / (7e10)^0.34 = 406.4 / 4867.81 = 0.083487; 410.7 / (1.4e12)^0.28 = 410.7 / 2517.19 = 0.163158
  close(chinchillaLoss(70e9, 1.4e12), 1.69 + 0.083487 + 0.163158, 1e-5);
  assert.equal(regime(10), "under-trained");
  assert.equal(regime(20), "compute-optimal");
  assert.equal(regime(200), "over-trained");
  assert.ok(chinchillaLoss(1e9, 1e12) < chinchillaLoss(1e9, 1e10), "more data, lower loss");
});

test("ZeRO paper, Figure 1: 7.5B parameters, K = 12, 64 GPUs → 120, 31.4, 16.6, 1.9 GB per GPU", () => {
  const psi = 7.5e9;
  const states = { params: 2 * psi, grads: 2 * psi, optimizer: 12 * psi };
  const gb = [0, 1, 2, 3].map((stage) => Math.round(statesTotal(zeroStates(states, stage as 0 | 1 | 2 | 3, 64)) / 1e8) / 10);
  assert.deepEqual(gb, [120, 31.4, 16.6, 1.9]);
  // Our mixed-precision Adam is that K = 12: 4 (fp32 master) + 8 (m, v) bytes per parameter.
  const shapes = [[3, 4], [5]];
  assert.deepEqual(mixedStates("adamw", shapes), { params: 34, grads: 34, optimizer: 12 * 17 });
});

test("optimizer state by hand: AdamW 8, Lion 4 bytes a parameter; Adafactor rows + columns of matrices", () => {
  const shapes = [[3, 4], [5], [2, 6]];
  assert.equal(optimizerStateBytes("adamw", shapes), 8 * 29);
  assert.equal(optimizerStateBytes("lion", shapes), 4 * 29);
  assert.equal(optimizerStateBytes("adafactor", shapes), 4 * (3 + 4 + 5 + 2 + 6));
});

test("activations: Korthikanti's s·b·h·(34 + 5·a·s/h) at 16 bits, fp32 without dropout, recomputation", () => {
  // s = 4, b = 2, h = 8, a = 2: sbh = 64, 64·(34 + 5·2·4/8) = 2496
  assert.equal(layerActivationBytes(4, 2, 8, 2, { bytesPerValue: 2, dropout: true }), 64 * (34 + 5));
  // fp32 without dropout: 16 values of 4 bytes per s·b·h, one softmax output a·s²·b of 4 bytes
  assert.equal(layerActivationBytes(4, 2, 8, 2, { bytesPerValue: 4, dropout: false }), 64 * 64 + 4 * 2 * 16 * 2);
  const shape = { nLayer: 3, nHead: 2, dModel: 8, contextLength: 4, vocabSize: 10 };
  const output = 4 * 64 * (1 + 10 / 8); // 4·s·b·h·(1 + v/h) = 576
  assert.equal(activationBytes(shape, 2, { bytesPerValue: 2, dropout: true, checkpointing: false }), 3 * 2496 + output);
  // Recomputation: 2·s·b·h per layer input, plus one layer rebuilt in backward.
  assert.equal(activationBytes(shape, 2, { bytesPerValue: 2, dropout: true, checkpointing: true }), 3 * 2 * 64 + 2496 + output);
});

test("time: 7B on 1.5T tokens on 128 H100 at 40% MFU is about 14.4 days", () => {
  const flops = 6 * 7e9 * 1.5e12;
  assert.equal(flops, 6.3e22);
  const s = secondsAtScale(flops, 128, 989e12, 0.4);
  close(s, 6.3e22 / 5.06368e16);
  assert.equal(Math.round(s / 1e3), 1244);
  assert.equal(fmtDuration(s), "14.4 days");
  assert.equal(secondsAtThroughput(8_192_000, 10_000), 819.2);
  assert.equal(secondsAtThroughput(8_192_000, null), null);
  assert.equal(secondsAtThroughput(8_192_000, 0), null);
});

const cluster = { gpus: 128, accelerator: "h100", mfu: 0.4, measuredTokensPerSec: null } as const;

test("planRun on the 7B-shaped llama: real parameters, attention-inclusive FLOPs, ZeRO and time", () => {
  const input: PlanInput = {
    ...llama7b, ...cluster, batchSize: 1024, microBatchSize: 0, batchRampStart: 0, batchRampTokens: 0, steps: 715_256,
    optimizer: "adamw", gradientCheckpointing: false,
  };
  const p = planRun(input);
  const N = 6_575_886_336;
  const D = 715_256 * 1024 * 2048; // 1.49999e12
  assert.equal(p.params, N);
  assert.equal(p.tokens, D);
  assert.equal(p.totalFlops, 6 * N * D);
  const perToken = 6 * N + 12 * 32 * 4096 * 2048;
  close(p.totalFlopsWithAttention, perToken * D);
  close(p.time.scaleSeconds, (perToken * D) / (128 * 989e12 * 0.4));
  assert.equal(fmtDuration(p.time.scaleSeconds), "14.6 days");
  assert.equal(p.time.localSeconds, null);
  close(p.chinchilla.tokensPerParam, D / N);
  assert.equal(p.chinchilla.regime, "over-trained");
  // ZeRO-3 per GPU: 16 bytes a parameter over 128 GPUs, plus activations of 1024/128 = 8 sequences.
  assert.equal(p.memory.gpuMicroBatch, 8);
  close(p.memory.zero[3].params + p.memory.zero[3].grads + p.memory.zero[3].optimizer, (16 * N) / 128);
  close(p.memory.zero[0].total - p.memory.zero[0].activations, 16 * N);
  // fp32 trainer with AdamW: 4 + 4 + 8 bytes a parameter.
  assert.equal(p.memory.trainer.params + p.memory.trainer.grads + p.memory.trainer.optimizer, 16 * N);
  assert.ok(p.memory.trainer.activationsCheckpointed < p.memory.trainer.activations);
});

test("planRun on a tiny run: local time from the measured throughput and the tokens left", () => {
  const input: PlanInput = {
    arch: "gpt2", nLayer: 2, nHead: 2, dModel: 64, contextLength: 64, vocabSize: 1024, batchSize: 8, microBatchSize: 4,
    batchRampStart: 0, batchRampTokens: 0, steps: 300, optimizer: "adamw", gradientCheckpointing: false,
    ...cluster, gpus: 1, measuredTokensPerSec: 5_000, tokensDone: 53_600,
  };
  const p = planRun(input);
  assert.equal(p.tokens, 153_600);
  assert.equal(p.time.localSeconds, 20);
  assert.equal(p.memory.microBatch, 4);
  assert.equal(p.memory.gpuMicroBatch, 4);
  assert.equal(p.chinchilla.regime, "under-trained");
});

test("readPlanConfig: form strings, parsed numbers, defaults for absent fields, empty or bad fields named", () => {
  const r = readPlanConfig({ nLayer: "4", dModel: 128, nHead: "4", gradientCheckpointing: "true", optimizer: "lion" }, 512);
  assert.ok(r.ok);
  assert.equal(r.config.nLayer, 4);
  assert.equal(r.config.dModel, 128);
  assert.equal(r.config.gradientCheckpointing, true);
  assert.equal(r.config.optimizer, "lion");
  assert.equal(r.config.steps, RunConfig.parse({ name: "defaults" }).steps, "absent → the run config's default");
  const bad = readPlanConfig({ nLayer: "", dModel: "abc", steps: "-1", arch: "rnn" }, 0);
  assert.deepEqual(bad, { ok: false, invalid: ["arch", "nLayer", "dModel", "steps", "vocabSize"] });
});

test("format helpers", () => {
  assert.equal(fmtCount(124_439_808), "124.4 M");
  assert.equal(fmtCount(1.5e12), "1.5 T");
  assert.equal(fmtCount(640), "640");
  assert.equal(fmtBytesDecimal(31.40625e9), "31.4 GB");
  assert.equal(fmtSci(6.3e22), "6.30e22");
  assert.equal(fmtDuration(30), "30 s");
  assert.equal(fmtDuration(3600 * 5), "5.0 h");
  for (const f of [fmtCount, fmtBytesDecimal, fmtSci, fmtDuration]) {
    assert.equal(f(null), "—");
    assert.equal(f(NaN), "—");
    assert.equal(f(Infinity), "—");
  }
});

test("Chinchilla's fitted range: 70M–16B parameters, 5B–500B tokens; outside it the loss is marked or withheld", () => {
  const inside = fitRange(1e9, 20e9);
  assert.equal(inside.inRange, true);
  assert.equal(fittedLoss(chinchillaLoss(1e9, 20e9), inside), chinchillaLoss(1e9, 20e9).toFixed(3));
  assert.deepEqual(outsideFit(1e9, 20e9), []);
  // Chinchilla itself (70B on 1.4T) lies 4.4× and 2.8× beyond the fit: shown, marked as extrapolated.
  const chinchilla = fitRange(70e9, 1.4e12);
  assert.deepEqual([chinchilla.inRange, chinchilla.far, chinchilla.params.side, chinchilla.tokens.side], [false, false, "above", "above"]);
  close(chinchilla.params.factor, 70 / 16);
  assert.equal(fittedLoss(1.9366, chinchilla), "1.937 (extrapolated)");
  // The default-sized run the review found: 235 K parameters on 154 K tokens gives 22.25, not a loss.
  const tiny = fitRange(235_264, 153_600);
  assert.deepEqual([tiny.inRange, tiny.far, tiny.params.side, tiny.tokens.side], [false, true, "below", "below"]);
  close(chinchillaLoss(235_264, 153_600), 22.25, 0.01);
  assert.equal(fittedLoss(chinchillaLoss(235_264, 153_600), tiny), "outside the fit");
  assert.deepEqual(outsideFit(235_264, 153_600), [
    "N = 235 K is 298× below the smallest model fitted (70 M)",
    "D = 154 K is 32,552× below the fewest tokens fitted (5 B)",
  ]);
  // The edges belong to the range.
  assert.equal(fitRange(CHINCHILLA_FIT.params.min, CHINCHILLA_FIT.tokens.max).inRange, true);
  assert.equal(fitRange(CHINCHILLA_FIT.params.max * 1.01, 1e10).params.side, "above");
});
