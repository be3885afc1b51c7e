import fs from "node:fs";
import path from "node:path";
import {
  DATASET_FORMAT_VERSION, datasetsRoot, FLAGGED_FILE, MANIFEST_FILE, readManifest, TOKENIZER_FILE,
  type DatasetManifest, type DomainStats,
} from "../../formats/dataset";
import { datasetId, sourceFingerprint } from "../../formats/dataset-id";
import { DatasetSpec, normaliseWeights } from "../../lib/dataset-spec";
import { Rng } from "../../lib/rng";
import { BpeTokenizer } from "../../lib/tokenizer/bpe";
import { bytesPerToken, vocabularySummary } from "../../lib/tokenizer/stats";
import { cleanDocuments } from "./run-stages";
import { loadSource } from "./sources";
import type { Doc } from "./types";

export interface PrepareProgress {
  stage: string;
  /** 0..1 over the whole preparation. */
  fraction: number;
  message: string;
}

export interface PrepareOptions {
  dataDir: string;
  onProgress?: (p: PrepareProgress) => void;
  signal?: AbortSignal;
}

/** Stages and the share of the total time each usually takes, for one progress bar. */
const PHASES = { load: 0.25, clean: 0.35, tokenizer: 0.2, encode: 0.15, write: 0.05 } as const;

const utf8Bytes = (s: string) => Buffer.byteLength(s, "utf8");

class Cancelled extends Error {
  constructor() {
    super("Dataset preparation was cancelled");
  }
}

/**
 * Prepares a dataset: load sources, clean (markup, normalise, dedup, quality, safety), split,
 * train the BPE, encode token shards, and write everything with a manifest into
 * DATA_DIR/datasets/<id>/ (a temporary folder renamed into place). A dataset already there is
 * returned at once.
 */
export async function prepareDataset(input: unknown, opts: PrepareOptions): Promise<DatasetManifest> {
  const spec = DatasetSpec.parse(input);
  const id = datasetId(spec);
  const cached = readManifest(opts.dataDir, id);
  if (cached) {
    opts.onProgress?.({ stage: "cached", fraction: 1, message: `dataset ${id} is already prepared` });
    return cached;
  }
  const t0 = performance.now();
  let base = 0;
  const report = (phase: keyof typeof PHASES, within: number, message: string) => {
    if (opts.signal?.aborted) throw new Cancelled();
    opts.onProgress?.({ stage: phase, fraction: Math.min(1, base + PHASES[phase] * within), message });
  };
  const tick = () => new Promise((r) => setImmediate(r));

  // 1. Load.
  const docs: Doc[] = [];
  const sources: DatasetManifest["sources"] = [];
  for (const [i, src] of spec.sources.entries()) {
    report("load", i / spec.sources.length, `reading ${src.domain} (${src.kind})`);
    const loaded = await loadSource(src, {
      onProgress: (done, total) => report("load", (i + done / Math.max(1, total)) / spec.sources.length, `reading ${src.domain}: ${done}/${total}`),
    });
    for (const d of loaded) docs.push(d);
    sources.push({ domain: src.domain, kind: src.kind, fingerprint: sourceFingerprint(src), documents: loaded.length, bytes: loaded.reduce((n, d) => n + utf8Bytes(d.text), 0) });
    await tick();
  }
  const rawBytes = sources.reduce((n, s) => n + s.bytes, 0);
  base += PHASES.load;

  // 2. Clean.
  const cleaned = cleanDocuments(docs, spec, (stage, index, total) => report("clean", index / total, `cleaning: ${stage}`));
  base += PHASES.clean;
  await tick();

  // 3. Split whole documents per domain, so validation text never overlaps training text.
  const rng = new Rng(spec.seed);
  const byDomain = new Map<string, { train: string[]; val: string[] }>();
  for (const src of spec.sources) {
    const texts = shuffle(cleaned.docs.filter((d) => d.domain === src.domain).map((d) => d.text), rng);
    if (texts.length === 0) continue;
    const nVal = texts.length < 2 ? 0 : Math.max(1, Math.round(texts.length * spec.valFraction));
    byDomain.set(src.domain, { val: texts.slice(0, nVal), train: texts.slice(nVal) });
  }
  const emptyDomains = spec.sources.map((s) => s.domain).filter((d) => !byDomain.get(d)?.train.length);
  for (const d of emptyDomains) byDomain.delete(d);
  if (byDomain.size === 0) throw new Error("No documents are left after cleaning; loosen the filters or add sources");
  const weights = normaliseWeights(
    Object.fromEntries(spec.sources.filter((s) => byDomain.has(s.domain)).map((s) => [s.domain, s.weight])),
  );

  // 4. Tokenizer, trained on a sample that follows the mixture weights.
  report("tokenizer", 0, `training a ${spec.tokenizer.vocabSize}-token BPE`);
  const sample = tokenizerSample(byDomain, weights, spec.tokenizer.trainBytes);
  const tTok = performance.now();
  const tokenizer = BpeTokenizer.train(sample, {
    vocabSize: spec.tokenizer.vocabSize,
    onProgress: (merges, target) => report("tokenizer", merges / Math.max(1, target), `BPE merges ${merges}/${target}`),
  });
  const trainSeconds = (performance.now() - tTok) / 1000;
  base += PHASES.tokenizer;
  await tick();

  // 5. Encode shards.
  const shards: { domain: string; split: "train" | "val"; tokens: Uint16Array }[] = [];
  const domains: Record<string, DomainStats> = {};
  let domainIndex = 0;
  for (const [domain, split] of byDomain) {
    report("encode", domainIndex++ / byDomain.size, `encoding ${domain}`);
    const train = encodeDocs(tokenizer, split.train);
    const val = encodeDocs(tokenizer, split.val);
    shards.push({ domain, split: "train", tokens: train }, { domain, split: "val", tokens: val });
    const bytes = split.train.reduce((n, t) => n + utf8Bytes(t), 0);
    domains[domain] = {
      weight: weights[domain],
      documents: split.train.length,
      valDocuments: split.val.length,
      bytes,
      trainTokens: train.length,
      valTokens: val.length,
      bytesPerToken: bytesPerToken(tokenizer, split.train.slice(0, 200)),
    };
    await tick();
  }
  base += PHASES.encode;

  // 6. Write into a temporary folder, then rename it into place.
  report("write", 0, "writing shards");
  const root = datasetsRoot(opts.dataDir);
  fs.mkdirSync(root, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(root, `.tmp-${id}-`));
  try {
    fs.mkdirSync(path.join(tmp, "tokens"));
    const shardRows: DatasetManifest["shards"] = [];
    for (const s of shards) {
      const file = path.join("tokens", `${s.domain}.${s.split}.bin`);
      writeSynced(path.join(tmp, file), Buffer.from(s.tokens.buffer, s.tokens.byteOffset, s.tokens.byteLength));
      shardRows.push({ domain: s.domain, split: s.split, file, tokens: s.tokens.length });
    }
    writeSynced(path.join(tmp, TOKENIZER_FILE), Buffer.from(JSON.stringify(tokenizer.toJSON())));
    writeSynced(path.join(tmp, FLAGGED_FILE), Buffer.from(JSON.stringify(cleaned.flagged, null, 1)));
    const durationSec = (performance.now() - t0) / 1000;
    const manifest: DatasetManifest = {
      formatVersion: DATASET_FORMAT_VERSION,
      id,
      name: spec.name,
      spec,
      createdAt: new Date().toISOString(),
      durationSec,
      throughputMBps: rawBytes / 1e6 / durationSec,
      sources,
      stages: cleaned.reports.filter((r) => !r.domain),
      stagesByDomain: cleaned.reports.filter((r) => r.domain),
      domains,
      emptyDomains,
      flaggedCount: cleaned.flagged.length,
      tokenizer: {
        file: TOKENIZER_FILE,
        vocabSize: tokenizer.vocabSize,
        eotId: tokenizer.eotId,
        trainBytes: sample.reduce((n, t) => n + utf8Bytes(t), 0),
        trainSeconds,
        summary: vocabularySummary(tokenizer),
      },
      shards: shardRows,
    };
    writeSynced(path.join(tmp, MANIFEST_FILE), Buffer.from(JSON.stringify(manifest, null, 1)));
    fs.renameSync(tmp, path.join(root, id));
    opts.onProgress?.({ stage: "done", fraction: 1, message: `prepared ${id} in ${durationSec.toFixed(1)} s` });
    return manifest;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const existing = readManifest(opts.dataDir, id);
    if (existing) return existing; // another process prepared the same dataset first
    throw e;
  }
}

function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function tokenizerSample(byDomain: Map<string, { train: string[] }>, weights: Record<string, number>, budget: number): string[] {
  const out: string[] = [];
  for (const [domain, { train }] of byDomain) {
    let bytes = 0;
    for (const text of train) {
      if (bytes >= budget * weights[domain]) break;
      out.push(text);
      bytes += utf8Bytes(text);
    }
  }
  return out;
}

function encodeDocs(tokenizer: BpeTokenizer, texts: string[]): Uint16Array {
  const parts: number[][] = [];
  let total = 0;
  for (const t of texts) {
    const ids = tokenizer.encode(t);
    ids.push(tokenizer.eotId);
    parts.push(ids);
    total += ids.length;
  }
  const out = new Uint16Array(total);
  let o = 0;
  for (const ids of parts) {
    out.set(ids, o);
    o += ids.length;
  }
  return out;
}

function writeSynced(file: string, data: Uint8Array): void {
  const fd = fs.openSync(file, "w");
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export { Cancelled, datasetId };
