import fs from "node:fs/promises";
import path from "node:path";
import { maskedCrc32c } from "../../../lib/tfevents/crc32c";

/** TensorBoard's own rule: a file is an event file when its name contains "tfevents". */
export const isEventFileName = (name: string) => name.includes("tfevents");

/** Bounds on a walk, so a huge tree (or a cycle we cannot see) cannot stall the server. */
const MAX_DEPTH = 12;
const MAX_DIRS = 5000;

export interface FoundRun {
  /** Its path relative to the chosen directory, "/"-separated; the chosen directory's own name when it is the run. */
  name: string;
  dir: string;
}

export class ScanError extends Error {}

/**
 * Every directory under `root` (itself included) that holds event files, TensorBoard's notion of a
 * run. Symbolic links are not followed: a link could lead outside the allowed roots.
 */
export async function findRunDirs(root: string): Promise<FoundRun[]> {
  const found: FoundRun[] = [];
  const queue: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
  let seen = 0;
  while (queue.length > 0) {
    const { dir, depth } = queue.shift()!;
    if (++seen > MAX_DIRS) break;
    let entries: import("node:fs").Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (dir === root) throw e;
      continue; // a subdirectory removed or unreadable meanwhile is not the import's failure
    }
    if (entries.some((e) => e.isFile() && isEventFileName(e.name))) found.push({ dir, name: runName(root, dir) });
    if (depth < MAX_DEPTH) for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => cmp(a.name, b.name))) queue.push({ dir: path.join(dir, e.name), depth: depth + 1 });
  }
  return found.sort((a, b) => cmp(a.name, b.name));
}

export function runName(root: string, dir: string): string {
  const rel = path.relative(root, dir);
  return rel === "" ? path.basename(root) || root : rel.split(path.sep).join("/");
}

/** The event files directly in `dir`, in name order (the order TensorBoard reads them). */
export async function eventFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isFile() && isEventFileName(e.name)).map((e) => e.name).sort(cmp);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Refuses a file that is not a TensorBoard event file: by its name, then by its first record's
 * length checksum (an empty file is accepted: its writer may not have flushed yet).
 */
export async function checkEventFile(file: string): Promise<void> {
  const name = path.basename(file);
  if (!isEventFileName(name)) throw new ScanError(`${name} is not a TensorBoard event file: event file names contain "tfevents" (events.out.tfevents.*)`);
  const fh = await fs.open(file, "r");
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await fh.read(head, 0, 12, 0);
    if (bytesRead === 0) return;
    if (bytesRead < 12 || maskedCrc32c(head.subarray(0, 8)) !== head.readUInt32LE(8))
      throw new ScanError(`${name} is not a TensorBoard event file: its first record's length checksum does not match (not TFRecord data)`);
  } finally {
    await fh.close();
  }
}
