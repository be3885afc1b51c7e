// The disk buffer, in the same JSONL layout as the Python client's: a meta line, one "rec" line
// per record as it is logged (written synchronously, so a killed process loses nothing it logged),
// and "ack" lines once records are acknowledged. Node has no flock, so a journal counts as live
// while the process in its meta line runs on this host; others are adopted by the next client.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const COMPACT_BYTES = 8 << 20;
const openHere = new Set<string>();

export type Rec =
  | { id: number; run: string; kind: "metrics"; points: [string, number | string, number, number][] }
  | { id: number; run: string; kind: "params" | "tags"; items: [string, string][] }
  | { id: number; run: string; kind: "status"; status: string; end_time: number };

export function defaultRoot() {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pretrain-client");
}

export class Journal {
  readonly dir: string;
  readonly path: string;
  private fd: number | null;
  private meta: Record<string, unknown>;
  private size = 0;

  constructor(root: string, runId: string, url: string) {
    this.dir = path.join(root, runId);
    fs.mkdirSync(this.dir, { recursive: true });
    this.path = path.join(this.dir, `journal-${crypto.randomUUID().replace(/-/g, "")}.jsonl`);
    this.meta = { t: "meta", v: 1, url, run_id: runId, pid: process.pid, host: os.hostname(), client: "typescript" };
    this.fd = fs.openSync(this.path, "a");
    openHere.add(this.path);
    this.write(this.meta);
  }

  private write(obj: unknown) {
    if (this.fd === null) return;
    const line = JSON.stringify(obj) + "\n";
    fs.writeSync(this.fd, line);
    this.size += Buffer.byteLength(line);
  }

  append(rec: Rec) {
    this.write({ t: "rec", ...rec });
  }

  ack(upto: number, nothingPending: boolean) {
    if (this.fd === null) return;
    if (nothingPending && this.size > COMPACT_BYTES) {
      // Everything written is acknowledged: start the file over instead of growing it.
      fs.ftruncateSync(this.fd, 0);
      this.size = 0;
      this.write(this.meta);
    }
    this.write({ t: "ack", upto });
  }

  close(remove: boolean) {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
    openHere.delete(this.path);
    if (!remove) return;
    fs.rmSync(this.path, { force: true });
    try { fs.rmdirSync(this.dir); } catch { /* another journal of the run is still there */ }
  }
}

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The unacknowledged records of one journal file, in order; a torn last line is skipped. */
export function readPending(file: string): { meta: Record<string, any> | null; recs: Rec[] } {
  let meta: Record<string, any> | null = null;
  const recs: Rec[] = [];
  let acked = -1;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    let obj: any;
    try { obj = JSON.parse(line); } catch { continue; }
    if (obj?.t === "meta") meta = obj;
    else if (obj?.t === "rec") recs.push(obj);
    else if (obj?.t === "ack") acked = Math.max(acked, obj.upto);
  }
  return { meta, recs: recs.filter((r) => r.id > acked) };
}

/**
 * The pending records of journals under `root` that no live client writes and that were written
 * for this server (or for this run). Re-journal them, then call the returned function to delete
 * the files.
 */
export function adopt(root: string, url: string, ownRunId: string): { recs: Rec[]; remove: () => void } {
  const recs: Rec[] = [];
  const taken: string[] = [];
  let dirs: string[] = [];
  try { dirs = fs.readdirSync(root); } catch { /* no buffer folder yet */ }
  for (const d of dirs.sort()) {
    let files: string[] = [];
    try { files = fs.readdirSync(path.join(root, d)).filter((f) => /^journal-.*\.jsonl$/.test(f)).sort(); } catch { continue; }
    for (const f of files) {
      const file = path.join(root, d, f);
      if (openHere.has(file)) continue;
      const { meta, recs: pending } = readPending(file);
      // A Python writer holds an flock; its pid is in the meta line too, so both are respected here.
      if (meta?.pid && meta.host === os.hostname() && meta.pid !== process.pid && alive(meta.pid)) continue;
      if (d !== ownRunId && meta?.url !== url) continue;
      recs.push(...pending);
      taken.push(file);
    }
  }
  return {
    recs,
    remove: () => {
      for (const file of taken) {
        fs.rmSync(file, { force: true });
        try { fs.rmdirSync(path.dirname(file)); } catch { /* not empty */ }
      }
    },
  };
}
