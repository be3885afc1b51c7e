import fs from "node:fs";
import path from "node:path";
import { datasetsRoot, MANIFEST_FILE, readManifest, TOKENIZER_FILE } from "../../../formats/dataset";
import { datasetId } from "../../../formats/dataset-id";
import { DatasetSpec } from "../../../lib/dataset-spec";
import type { FileEntry } from "../../../lib/worker-protocol";
import { sha256File } from "../checkpoints/checkpoint-integrity";

/** Where a prepared dataset keeps the sha256 of each file a worker fetches; written once, as a prepared dataset never changes. */
const HASHES_FILE = "files.sha256.json";

/** The id `default` resolves to, whether or not it is prepared here yet. */
export const defaultDatasetId = () => datasetId(DatasetSpec.parse({ name: "default" }));

/**
 * The files a worker needs of a prepared dataset (its manifest last, as preparation writes it, so
 * a worker's copy with a manifest is complete), each with its size and sha256. Null when the
 * dataset is not prepared here.
 */
export async function datasetFiles(dataDir: string, id: string): Promise<FileEntry[] | null> {
  const manifest = readManifest(dataDir, id);
  if (!manifest) return null;
  const dir = path.join(datasetsRoot(dataDir), id);
  const cache = path.join(dir, HASHES_FILE);
  if (fs.existsSync(cache)) return JSON.parse(fs.readFileSync(cache, "utf8")) as FileEntry[];
  const names = [...new Set([...manifest.shards.map((s) => s.file), TOKENIZER_FILE, MANIFEST_FILE])];
  const files: FileEntry[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    files.push({ name, bytes: fs.statSync(file).size, sha256: await sha256File(file) });
  }
  const tmp = `${cache}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(files));
  fs.renameSync(tmp, cache);
  return files;
}

/** The path of one of a prepared dataset's files, or null when it is not one of those datasetFiles lists. */
export async function datasetFile(dataDir: string, id: string, name: string): Promise<{ path: string; entry: FileEntry } | null> {
  const files = await datasetFiles(dataDir, id);
  const entry = files?.find((f) => f.name === name);
  return entry ? { path: path.join(datasetsRoot(dataDir), id, entry.name), entry } : null;
}
