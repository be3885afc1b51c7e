import assert from "node:assert/strict";
import { test } from "node:test";
import { importDeepSpeed } from "../../lib/deepspeed";
import { RunConfig } from "../../lib/run-config";

test("a typical DeepSpeed config maps onto the run config, and meaningless fields are listed", () => {
  const r = importDeepSpeed({
    train_batch_size: 32,
    train_micro_batch_size_per_gpu: 8,
    gradient_accumulation_steps: 4,
    gradient_clipping: 1.0,
    optimizer: { type: "AdamW", params: { lr: 3e-4, betas: [0.9, 0.95], eps: 1e-8, weight_decay: 0.1 } },
    scheduler: { type: "WarmupCosineLR", params: { warmup_num_steps: 20, total_num_steps: 1000, cos_min_ratio: 0.1 } },
    zero_optimization: { stage: 2, offload_optimizer: { device: "cpu" } },
    bf16: { enabled: true },
  });
  assert.deepEqual(r.config, {
    batchSize: 32, microBatchSize: 8, clipNorm: 1, optimizer: "adamw", lr: 3e-4, weightDecay: 0.1, beta1: 0.9, beta2: 0.95,
    warmupSteps: 20, steps: 1000, schedule: "cosine", minLr: 3e-4 * 0.1,
  });
  assert.ok(r.ignored.some((i) => i.startsWith("zero_optimization")));
  assert.ok(r.ignored.some((i) => i.startsWith("bf16")));
  assert.ok(r.ignored.includes("optimizer.params.eps"));
  assert.equal(RunConfig.safeParse({ name: "ds", ...r.config }).success, true, "the mapped config is a valid run config");
});

test("the batch identity is checked, and two of the three give the third", () => {
  assert.throws(() => importDeepSpeed({ train_batch_size: 32, train_micro_batch_size_per_gpu: 8, gradient_accumulation_steps: 2 }), /must equal .* = 16/);
  assert.deepEqual(importDeepSpeed({ train_batch_size: 32, gradient_accumulation_steps: 4 }).config, { batchSize: 32, microBatchSize: 8 });
  assert.deepEqual(importDeepSpeed({ train_micro_batch_size_per_gpu: 4, gradient_accumulation_steps: 4 }).config, { batchSize: 16, microBatchSize: 4 });
  assert.throws(() => importDeepSpeed({ train_batch_size: 30, gradient_accumulation_steps: 4 }), /not divisible/);
  assert.throws(() => importDeepSpeed({ train_batch_size: -1 }), /positive whole number/);
});

test("unsupported optimizers, schedulers and malformed input get clear errors", () => {
  assert.throws(() => importDeepSpeed({ optimizer: { type: "OneBitAdam" } }), /not supported/);
  assert.throws(() => importDeepSpeed({ scheduler: { type: "OneCycle", params: {} } }), /not supported/);
  assert.throws(() => importDeepSpeed("{oops"), /not valid JSON/);
  assert.throws(() => importDeepSpeed([1, 2]), /JSON object/);
  assert.throws(() => importDeepSpeed({ gradient_clipping: "1" }), /must be a number/);
  const lion = importDeepSpeed({ optimizer: { type: "Lion", params: { lr: 1e-4, weight_decay: 1 } }, scheduler: { type: "WarmupLR", params: { warmup_num_steps: 10 } }, mystery: 1 });
  assert.equal(lion.config.optimizer, "lion");
  assert.equal(lion.config.schedule, "step");
  assert.ok(lion.ignored.includes("mystery (not understood)"));
});
