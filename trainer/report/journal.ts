import fs from "node:fs";
import type { MetricPoint } from "../../lib/protocol";

export const JOURNAL_FILE = "metrics.journal";
/** Lines after which the file is rewritten with only the batches still unacked. */
const COMPACT_LINES = 4000;

type Line = { b: number; p: MetricPoint[] } | { a: number };

/**
 * An append-only file of the metric batches the server has not acked yet: a line per batch when it
 * is sent, a line per ack. A trainer killed at any moment leaves here exactly what may be missing
 * on the server, and the next trainer of the run sends it again before anything else. The file is
 * rewritten small now and then (and emptied whenever nothing is outstanding).
 */
export class MetricJournal {
  private fd: number;
  private lines = 0;
  /** Ids written and not yet acked. */
  private live = new Set<number>();

  /** Opens the run's journal; `left` holds the batches a previous trainer never had acked, oldest first. */
  static open(file: string): { journal: MetricJournal; left: MetricPoint[][] } {
    const left = fs.existsSync(file) ? [...readLive(file).values()] : [];
    const journal = new MetricJournal(file);
    // Renumbered from 0 so the ids match this trainer's batch numbers.
    journal.rewrite(left.map((p, i) => [i, p]));
    return { journal, left };
  }

  private constructor(private file: string) {
    this.fd = fs.openSync(file, "a");
  }

  append(id: number, points: MetricPoint[]) {
    this.write({ b: id, p: points });
    this.live.add(id);
  }

  ack(id: number) {
    if (!this.live.delete(id)) return;
    if (this.live.size === 0) {
      fs.ftruncateSync(this.fd, 0); // appends go on at the new end
      this.lines = 0;
      return;
    }
    this.write({ a: id });
    if (this.lines > COMPACT_LINES) this.rewrite([...readLive(this.file)]);
  }

  /** The points of the unacked batches that `wanted` picks, for those no longer held in memory. */
  read(wanted: (id: number) => boolean): Map<number, MetricPoint[]> {
    return readLive(this.file, wanted);
  }

  /** Makes what is written durable across a power loss too (a killed process loses nothing written). */
  sync() {
    fs.fsyncSync(this.fd);
  }

  close() {
    fs.closeSync(this.fd);
  }

  private write(line: Line) {
    fs.writeSync(this.fd, JSON.stringify(line) + "\n");
    this.lines++;
  }

  /** Replaces the file by one holding `batches`, atomically, so a kill mid-way leaves the old or the new. */
  private rewrite(batches: [number, MetricPoint[]][]) {
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, batches.map(([b, p]) => JSON.stringify({ b, p }) + "\n").join(""));
    const fd = fs.openSync(tmp, "r+");
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, this.file);
    fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file, "a");
    this.lines = batches.length;
    this.live = new Set(batches.map(([b]) => b));
  }
}

function readLive(file: string, wanted: (id: number) => boolean = () => true): Map<number, MetricPoint[]> {
  const live = new Map<number, MetricPoint[]>();
  const text = fs.readFileSync(file, "utf8");
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === "") continue;
    let line: Line;
    try {
      line = JSON.parse(lines[i]);
    } catch (e) {
      // Only the last line can be cut short, by a kill mid-write; its batch was never sent.
      if (i === lines.length - 1) break;
      throw new Error(`${file} line ${i + 1} is damaged: ${(e as Error).message}`);
    }
    if ("b" in line) {
      if (wanted(line.b)) live.set(line.b, line.p);
    }
    else live.delete(line.a);
  }
  return live;
}
