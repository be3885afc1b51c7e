import assert from "node:assert/strict";
import { test } from "node:test";
import { paramCount } from "../../lib/estimates";
import { optimizerStateBytes, paramShapes } from "../../lib/planning";
import { Rng } from "../../lib/rng";
import { OPTIMIZERS, RunConfig } from "../../lib/run-config";
import { selectBackend } from "../../trainer/backend/backend";
import { gpt2 } from "../../trainer/model/gpt2";
import { llama } from "../../trainer/model/llama";
import { countParams, createParams, disposeParams, modelConfig } from "../../trainer/model/model";
import { createOptimizer } from "../../trainer/optimizers";

await selectBackend("cpu");

const CONFIGS = [
  { arch: "gpt2", nLayer: 2, nHead: 2, dModel: 16, contextLength: 8, vocab: 300 },
  { arch: "gpt2", nLayer: 12, nHead: 12, dModel: 768, contextLength: 1024, vocab: 50257 },
  { arch: "gpt2", nLayer: 3, nHead: 5, dModel: 40, contextLength: 96, vocab: 4099 },
  { arch: "llama", nLayer: 2, nHead: 2, dModel: 16, contextLength: 8, vocab: 300 },
  { arch: "llama", nLayer: 4, nHead: 4, dModel: 200, contextLength: 256, vocab: 8192 },
  { arch: "llama", nLayer: 24, nHead: 16, dModel: 2048, contextLength: 2048, vocab: 32000 },
] as const;

test("paramCount and paramShapes match the trainer's model, gpt2 and llama", () => {
  for (const { vocab, ...c } of CONFIGS) {
    const config = RunConfig.parse({ name: "plan", ...c });
    const cfg = modelConfig(config, vocab);
    const shape = { ...config, vocabSize: vocab };
    assert.equal(paramCount(shape), countParams(cfg), `${c.arch} d=${c.dModel}`);
    const specs = (c.arch === "llama" ? llama : gpt2).specs(cfg).map((s) => s.shape);
    assert.deepEqual(paramShapes(shape), specs, `${c.arch} d=${c.dModel}`);
  }
});

test("optimizer state bytes match the slots the trainer's optimizers allocate", async () => {
  for (const { vocab, ...c } of CONFIGS.filter((x) => x.dModel <= 200)) {
    for (const optimizer of OPTIMIZERS) {
      const config = RunConfig.parse({ name: "plan", ...c, optimizer });
      const cfg = modelConfig(config, vocab);
      const params = createParams(cfg, new Rng(1));
      const opt = createOptimizer(config, params);
      const [iter, ...slots] = await opt.getWeights();
      iter.tensor.dispose();
      const bytes = slots.reduce((n, s) => n + s.tensor.size * 4, 0);
      assert.equal(optimizerStateBytes(optimizer, paramShapes({ ...config, vocabSize: vocab })), bytes, `${optimizer} ${c.arch} d=${c.dModel}`);
      opt.dispose();
      disposeParams(params);
    }
  }
});
