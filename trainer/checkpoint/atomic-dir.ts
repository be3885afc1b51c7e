import fs from "node:fs";
import path from "node:path";

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `files` into a temporary sibling of `dir`, fsyncs, then renames it into place, so `dir`
 * is either the old complete copy or the new one. `replaceable` guards an existing `dir`: it is
 * replaced only when that says yes, since replacing deletes it.
 */
export function writeDirAtomic(dir: string, files: [name: string, content: Uint8Array][], replaceable: (existing: string) => boolean): void {
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  if (fs.existsSync(dir) && !replaceable(dir)) throw new Error(`refusing to replace ${dir}: it exists and is not an earlier export`);
  const tmp = fs.mkdtempSync(path.join(parent, `.tmp-${path.basename(dir)}-`));
  let old: string | null = null;
  try {
    for (const [name, content] of files) {
      const fd = fs.openSync(path.join(tmp, name), "w");
      try {
        fs.writeSync(fd, content);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    fsyncPath(tmp);
    // rename cannot replace a non-empty directory: move the old copy aside first.
    if (fs.existsSync(dir)) {
      old = `${tmp}.old`;
      fs.renameSync(dir, old);
    }
    fs.renameSync(tmp, dir);
    fsyncPath(parent);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (old && !fs.existsSync(dir)) fs.renameSync(old, dir);
    throw e;
  }
  if (old) fs.rmSync(old, { recursive: true, force: true });
}
