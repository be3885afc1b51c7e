import fs from "node:fs/promises";
import path from "node:path";
import type { FileCursor } from "../../../lib/tensorboard";
import { decodeEvent, scalars, StepRangeError } from "../../../lib/tfevents/events";
import { ProtoError } from "../../../lib/tfevents/proto";
import { RecordReader, type RecordItem } from "../../../lib/tfevents/tfrecord";
import { eventFiles } from "./tensorboard-scan";

/** A scalar as outsideRuns.log takes it: the tag as written, wall time in seconds. */
export interface TailPoint {
  name: string;
  step: number;
  value: number | null;
  wallTime: number;
}

export interface TailResult {
  points: TailPoint[];
  /** Each corrupt region, malformed event or odd file, once, in words. */
  problems: string[];
  /** Bytes are left to read now: the caller polls again at once rather than after its interval. */
  more: boolean;
}

const CHUNK = 1 << 20;

const CORRUPT: Record<Exclude<RecordItem, { ok: true }>["error"], string> = {
  "data-crc": "its data checksum does not match; that record is skipped",
  "length-crc": "its length checksum does not match; skipped to the next record that checks",
  "too-large": "its length is implausibly large; skipped to the next record that checks",
  truncated: "the file ends inside this record, which was never completed",
};

class FileTail {
  reader: RecordReader;
  /** Absolute offset of the next byte to read: the reader's offset plus the torn record it holds. */
  readPos: number;
  plugins: Map<string, string>;
  /** Once a step below zero (the store keeps steps from 0) was reported, it is not again. */
  negativeReported = false;

  constructor(cursor: FileCursor) {
    this.reader = new RecordReader({ startOffset: cursor.offset });
    this.readPos = cursor.offset;
    this.plugins = new Map(Object.entries(cursor.plugins));
  }

  cursor(): FileCursor {
    return { offset: this.reader.offset, plugins: Object.fromEntries(this.plugins) };
  }
}

/**
 * Reads one run directory's event files incrementally, from where a previous reader (maybe in an
 * earlier server) stopped. A record torn at the end of a file is held until its bytes arrive;
 * the cursors say only what was consumed, so a restart re-reads a held record, never skips it.
 */
export class RunTail {
  private files = new Map<string, FileTail>();
  bytesTotal = 0;

  /** `only`: read just this file of the directory. */
  constructor(readonly dir: string, cursors: Record<string, FileCursor> = {}, private only?: string) {
    for (const [name, c] of Object.entries(cursors)) this.files.set(name, new FileTail(c));
  }

  /** Per file: where to resume and the plugin names seen. Save it only once the points it covers are stored. */
  cursors(): Record<string, FileCursor> {
    return Object.fromEntries([...this.files].map(([name, f]) => [name, f.cursor()]));
  }

  get bytesRead(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.readPos;
    return n;
  }

  /**
   * Reads at most `budget` new bytes across the files, in name order. `final`: the files are
   * complete (a one-time import), so a record still torn at the end is reported as truncated.
   */
  async poll(budget = 8 * CHUNK, final = false): Promise<TailResult> {
    const out: TailResult = { points: [], problems: [], more: false };
    let names: string[];
    try {
      names = this.only ? [this.only] : await eventFiles(this.dir);
    } catch (e) {
      out.problems.push(`${this.dir} cannot be read: ${(e as Error).message}`);
      return out;
    }
    let total = 0;
    for (const name of names) {
      const file = path.join(this.dir, name);
      let f = this.files.get(name);
      if (!f) this.files.set(name, (f = new FileTail({ offset: 0, plugins: {} })));
      let size: number;
      let mtime: number;
      try {
        const st = await fs.stat(file);
        size = st.size;
        mtime = st.mtimeMs / 1000;
      } catch {
        continue; // removed between the listing and now
      }
      total += size;
      if (size < f.readPos) {
        out.problems.push(`${name} shrank from ${f.readPos} to ${size} bytes (rewritten?); read again from its start`);
        this.files.set(name, (f = new FileTail({ offset: 0, plugins: {} })));
      }
      if (f.readPos < size && budget > 0) {
        const fh = await fs.open(file, "r");
        try {
          while (f.readPos < size && budget > 0) {
            const buf = Buffer.alloc(Math.min(size - f.readPos, CHUNK, budget));
            const { bytesRead } = await fh.read(buf, 0, buf.length, f.readPos);
            if (bytesRead === 0) break;
            f.readPos += bytesRead;
            budget -= bytesRead;
            this.take(name, f, f.reader.push(buf.subarray(0, bytesRead)), mtime, out);
          }
        } finally {
          await fh.close();
        }
      }
      if (f.readPos < size) out.more = true;
      else if (final) this.take(name, f, f.reader.end(), mtime, out);
    }
    this.bytesTotal = total;
    return out;
  }

  private take(name: string, f: FileTail, items: RecordItem[], mtime: number, out: TailResult) {
    for (const item of items) {
      if (!item.ok) {
        out.problems.push(`${name}: corrupt record at byte ${item.offset}: ${CORRUPT[item.error]}`);
        continue;
      }
      try {
        const event = decodeEvent(item.data);
        for (const p of scalars(event, f.plugins)) {
          if (p.step < 0) {
            if (!f.negativeReported) out.problems.push(`${name}: step ${p.step} at byte ${item.offset} is below 0; such points are skipped`);
            f.negativeReported = true;
            continue;
          }
          // The store needs a positive time; an event without one gets the file's modification time.
          const wallTime = Number.isFinite(p.wallTime) && p.wallTime > 0 ? p.wallTime : mtime;
          out.points.push({ name: p.tag, step: p.step, value: Number.isFinite(p.value) ? p.value : null, wallTime });
        }
      } catch (e) {
        if (!(e instanceof ProtoError || e instanceof StepRangeError)) throw e;
        out.problems.push(`${name}: the event at byte ${item.offset} is malformed (${e.message}); skipped`);
      }
    }
  }
}
