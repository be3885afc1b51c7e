import fs from "node:fs";
import path from "node:path";
import type { DatasetSpec } from "../lib/dataset-spec";
import type { StepReport } from "./dataset-report";

/** Bump when preparation changes what it writes, so older caches are rebuilt. */
export const DATASET_FORMAT_VERSION = 1;

export interface DomainStats {
  /** Share of training sequences drawn from this domain (weights normalised over domains present). */
  weight: number;
  documents: number;
  valDocuments: number;
  bytes: number;
  trainTokens: number;
  valTokens: number;
  bytesPerToken: number;
}

/** Everything a prepared dataset is: written last, so its presence means the dataset is complete. */
export interface DatasetManifest {
  formatVersion: number;
  id: string;
  name: string;
  spec: DatasetSpec;
  createdAt: string;
  durationSec: number;
  /** Raw input read, MB per second of the whole preparation. */
  throughputMBps: number;
  sources: { domain: string; kind: string; fingerprint: string; documents: number; bytes: number }[];
  stages: StepReport[];
  stagesByDomain: StepReport[];
  domains: Record<string, DomainStats>;
  /** Domains that had sources but no documents left after cleaning. */
  emptyDomains: string[];
  flaggedCount: number;
  tokenizer: { file: string; vocabSize: number; eotId: number; trainBytes: number; trainSeconds: number; summary: unknown };
  /** Token shards: little-endian uint16 ids, each document followed by the end-of-text id. */
  shards: { domain: string; split: "train" | "val"; file: string; tokens: number }[];
}

export const MANIFEST_FILE = "manifest.json";
export const FLAGGED_FILE = "flagged.json";
export const TOKENIZER_FILE = "tokenizer.json";

export function datasetsRoot(dataDir: string) {
  return path.join(dataDir, "datasets");
}

/** A dataset id, and so never a path outside datasets/. */
const isDatasetId = (id: string) => /^ds-[0-9a-f]{16}$/.test(id);

export function readManifest(dataDir: string, id: string): DatasetManifest | null {
  if (!isDatasetId(id)) return null;
  const file = path.join(datasetsRoot(dataDir), id, MANIFEST_FILE);
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, "utf8")) as DatasetManifest;
}

export function readShard(dataDir: string, id: string, file: string): Uint16Array {
  const buf = fs.readFileSync(path.join(datasetsRoot(dataDir), id, file));
  // Copy into an aligned buffer: Buffer slices may start at odd offsets.
  const out = new Uint16Array(buf.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = buf.readUInt16LE(i * 2);
  return out;
}

export interface DatasetFiles {
  manifest: DatasetManifest | null;
  /** The dataset's tokenizer.json, or null when the dataset is not there or has none. */
  tokenizerFile: string | null;
}

export function datasetFiles(dataDir: string, datasetId: string): DatasetFiles {
  if (!isDatasetId(datasetId)) return { manifest: null, tokenizerFile: null };
  const manifest = readManifest(dataDir, datasetId);
  const file = path.join(datasetsRoot(dataDir), datasetId, manifest?.tokenizer.file ?? TOKENIZER_FILE);
  return { manifest, tokenizerFile: fs.existsSync(file) ? file : null };
}
