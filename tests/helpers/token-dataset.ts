// Writes a small prepared dataset (manifest + uint16 shards + a tokenizer stub) the way
// trainer/pipeline/prepare.ts lays one out, without running the pipeline. The tokens follow a
// per-domain rule (next = a·prev + c mod eot), so a model can learn them quickly.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { datasetsRoot, DATASET_FORMAT_VERSION, MANIFEST_FILE, TOKENIZER_FILE, type DatasetManifest } from "../../formats/dataset";
import { DatasetSpec, normaliseWeights } from "../../lib/dataset-spec";
import { Rng } from "../../lib/rng";

export interface SyntheticDomain {
  name: string;
  weight: number;
  trainTokens: number;
  valTokens: number;
}

function domainTokens(rng: Rng, count: number, eot: number, a: number, c: number): Uint16Array {
  const out = new Uint16Array(count);
  let i = 0;
  while (i < count) {
    let t = rng.int(eot);
    const len = 8 + rng.int(40);
    for (let k = 0; k < len && i < count - 1; k++) {
      out[i++] = t;
      t = (a * t + c) % eot;
    }
    out[i++] = eot; // every document ends with the end-of-text id
  }
  return out;
}

export function writeTokenDataset(dataDir: string, opts: { vocabSize: number; domains: SyntheticDomain[]; seed?: number; name?: string }): DatasetManifest {
  const seed = opts.seed ?? 1;
  const id = `ds-${crypto.createHash("sha256").update(JSON.stringify({ ...opts, seed })).digest("hex").slice(0, 16)}`;
  const dir = path.join(datasetsRoot(dataDir), id);
  fs.mkdirSync(path.join(dir, "tokens"), { recursive: true });
  const eot = opts.vocabSize - 1;
  const rng = new Rng(seed);
  const weights = normaliseWeights(Object.fromEntries(opts.domains.map((d) => [d.name, d.weight])));
  const shards: DatasetManifest["shards"] = [];
  const domains: DatasetManifest["domains"] = {};
  opts.domains.forEach((d, i) => {
    const a = 1 + 2 * (i + 1);
    const c = 7 + 13 * i;
    for (const [split, count] of [["train", d.trainTokens], ["val", d.valTokens]] as const) {
      const tokens = domainTokens(rng, count, eot, a, c);
      const file = path.join("tokens", `${d.name}.${split}.bin`);
      fs.writeFileSync(path.join(dir, file), Buffer.from(tokens.buffer, tokens.byteOffset, tokens.byteLength));
      shards.push({ domain: d.name, split, file, tokens: count });
    }
    domains[d.name] = {
      weight: weights[d.name], documents: 1, valDocuments: 1, bytes: d.trainTokens * 3,
      trainTokens: d.trainTokens, valTokens: d.valTokens, bytesPerToken: 3,
    };
  });
  fs.writeFileSync(path.join(dir, TOKENIZER_FILE), JSON.stringify({ stub: true, vocabSize: opts.vocabSize }));
  const manifest: DatasetManifest = {
    formatVersion: DATASET_FORMAT_VERSION,
    id,
    name: opts.name ?? "synthetic",
    spec: DatasetSpec.parse({ name: opts.name ?? "synthetic" }),
    createdAt: new Date(0).toISOString(),
    durationSec: 0,
    throughputMBps: 0,
    sources: [],
    stages: [],
    stagesByDomain: [],
    domains,
    emptyDomains: [],
    flaggedCount: 0,
    tokenizer: { file: TOKENIZER_FILE, vocabSize: opts.vocabSize, eotId: eot, trainBytes: 0, trainSeconds: 0, summary: null },
    shards,
  };
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 1));
  return manifest;
}
