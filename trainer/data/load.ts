// The run's prepared dataset and its domains' token shards, checked against the manifest.
import { datasetsRoot, readManifest, readShard, type DatasetManifest } from "../../formats/dataset";
import { DatasetSpec } from "../../lib/dataset-spec";
import type { MixtureDomain } from "./mixture";

/** Log lines at most this often while the default dataset is prepared. */
const PROGRESS_LOG_MS = 1000;

/**
 * The run's prepared dataset: `default` is prepared on first use (cached by its id afterwards);
 * any other value must name a dataset already prepared under dataDir.
 */
export async function resolveDataset(dataset: string, dataDir: string, log: (msg: string) => void): Promise<DatasetManifest> {
  if (dataset === "default") {
    // Loaded only here: preparation pulls in the cleaning pipeline and the BPE trainer.
    const { prepareDataset } = await import("../pipeline/prepare");
    let last = 0;
    return prepareDataset(DatasetSpec.parse({ name: "default" }), {
      dataDir,
      onProgress: (p) => {
        const now = Date.now();
        const final = p.stage === "done" || p.stage === "cached";
        if (!final && now - last < PROGRESS_LOG_MS) return;
        last = now;
        log(final ? p.message : `preparing the default dataset: ${Math.round(p.fraction * 100)}% (${p.stage}) ${p.message}`);
      },
    });
  }
  const manifest = readManifest(dataDir, dataset);
  if (!manifest) throw new Error(`dataset ${dataset} is not prepared in ${datasetsRoot(dataDir)}; prepare it first or pick another`);
  return manifest;
}

/**
 * The train and val shards of every weighted domain, checked against the manifest. `mix` overrides
 * the manifest's weights for the domains it names (a run's mixWeights).
 */
export function loadDomains(manifest: DatasetManifest, dataDir: string, mix: Record<string, number> = {}): MixtureDomain[] {
  const V = manifest.tokenizer.vocabSize;
  const shard = (domain: string, split: "train" | "val") => {
    const row = manifest.shards.find((s) => s.domain === domain && s.split === split);
    if (!row) throw new Error(`dataset ${manifest.id} lists no ${split} shard for domain ${domain}`);
    const tokens = readShard(dataDir, manifest.id, row.file);
    if (tokens.length !== row.tokens)
      throw new Error(`dataset ${manifest.id}: ${row.file} holds ${tokens.length} tokens, the manifest says ${row.tokens}; prepare it again`);
    for (let i = 0; i < tokens.length; i++)
      if (tokens[i] >= V) throw new Error(`dataset ${manifest.id}: ${row.file} has token id ${tokens[i]} at ${i}, outside the vocabulary of ${V}`);
    return tokens;
  };
  const unknown = Object.keys(mix).filter((d) => !(d in manifest.domains));
  if (unknown.length > 0)
    throw new Error(`mixWeights names ${unknown.join(", ")}; dataset ${manifest.id} has the domains ${Object.keys(manifest.domains).join(", ")}`);
  return Object.entries(manifest.domains)
    .map(([name, d]) => ({ name, weight: mix[name] ?? d.weight }))
    .filter((d) => d.weight > 0)
    .map(({ name, weight }) => ({ name, weight, train: shard(name, "train"), val: shard(name, "val") }));
}

/** Metric-key form of a domain name (domains match /^[a-z][a-z0-9_-]*$/; keys allow no '-'). */
export const metricDomain = (domain: string) => domain.replace(/-/g, "_");
