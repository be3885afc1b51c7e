import fs from "node:fs";
import path from "node:path";
import { listFolder } from "../../formats/dataset-id";
import { decodeBytes } from "./decode";
import type { Doc } from "./types";

/** One document per .txt/.html file and per .jsonl line; `limit` 0 reads everything. */
export async function loadFolder(
  domain: string,
  root: string,
  limit: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Doc[]> {
  const files = listFolder(root);
  const realRoot = fs.realpathSync(root);
  const docs: Doc[] = [];
  const full = () => limit > 0 && docs.length >= limit;
  for (const [i, rel] of files.entries()) {
    if (full()) break;
    const file = path.join(root, rel);
    const text = decodeBytes(await readInside(realRoot, rel));
    if (rel.toLowerCase().endsWith(".jsonl")) {
      for (const doc of jsonlDocs(domain, rel, file, text)) {
        if (full()) break;
        docs.push(doc);
      }
    } else {
      docs.push({ id: `${domain}:${rel}`, domain, source: file, text });
    }
    onProgress?.(i + 1, files.length);
  }
  return docs;
}

/**
 * A listed file's bytes, only if it is still a plain file inside the folder: one swapped for a
 * symbolic link after the listing (to itself or to a directory on its path) is refused, so the
 * folder the server checked is the only one read.
 */
async function readInside(realRoot: string, rel: string): Promise<Buffer> {
  const file = path.join(realRoot, rel);
  if (fs.realpathSync(file) !== file) throw new Error(`Folder source: ${rel} is a symbolic link or lies under one; links are not followed`);
  const handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function* jsonlDocs(domain: string, rel: string, file: string, text: string): Generator<Doc> {
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    const where = `${file}:${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: not valid JSON (${(e as Error).message})`);
    }
    const value = typeof row === "object" && row !== null ? (row as Record<string, unknown>).text : undefined;
    if (typeof value !== "string") throw new Error(`${where}: expected an object with a string "text" field`);
    yield { id: `${domain}:${rel}#${i + 1}`, domain, source: where, text: value };
  }
}
