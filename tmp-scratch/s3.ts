import fs from "node:fs"; import os from "node:os"; import path from "node:path";
import { DatasetSpec } from "../lib/dataset-spec";
import { RunConfig } from "../lib/run-config";
import { Rng } from "../lib/rng";
import { selectBackend } from "../trainer/backend";
import { prepareDataset } from "../trainer/pipeline/prepare";
import { createParams, modelConfig } from "../trainer/model";
import { prepareRunEvals } from "../trainer/eval/mid-training";
await selectBackend("wasm");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "s3-"));
const m = await prepareDataset(DatasetSpec.parse({ name: "brown", sources: [{ domain: "books", kind: "brown", weight: 1, maxDocuments: 40 }], tokenizer: { vocabSize: 2048, trainBytes: 1_000_000 }, valFraction: 0.2 }), { dataDir: dir });
const config = RunConfig.parse({ name: "x", dataset: m.id });
const suite = (await prepareRunEvals(config, m, dir, console.log))!;
const cfg = modelConfig(config, m.tokenizer.vocabSize);
const params = createParams(cfg, new Rng(1));
console.log("vocab", m.tokenizer.vocabSize);
for (const bs of [1, 4, 8, 16, 32, 64]) {
  suite.run(params, cfg, 0, Infinity, bs);
  const r = suite.run(params, cfg, 0, Infinity, bs);
  console.log(`batch ${bs}: ${(r.ms/1000).toFixed(2)} s`, Object.fromEntries(Object.entries(r.metrics).filter(([k]) => k.endsWith("/n"))));
}
