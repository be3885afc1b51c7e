import fs from "node:fs";

/** What the supervisor keeps in each run's folder beside the trainer's checkpoints. */
export const LOG_FILE = "trainer.log";
export const PID_FILE = "trainer.pid";
const TAIL_LINES = 20;
/** Bytes read back from the end of trainer.log for a dead trainer's last words. */
const TAIL_BYTES = 16_384;

/** How a trainer process ended, with its last lines. */
export interface TrainerExit {
  code: number | null;
  signal: string | null;
  tail: string[];
}

/** The last lines of a trainer's log. */
export function readTail(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, size - length);
    return buf.toString("utf8").split("\n").filter(Boolean).slice(-TAIL_LINES);
  } finally {
    fs.closeSync(fd);
  }
}

/** The most useful line of a dead trainer's output: its last error, else its last line. */
export function lastError(tail: string[]): string {
  const err = [...tail].reverse().find((l) => /error/i.test(l));
  return (err ?? tail[tail.length - 1] ?? "no output").slice(0, 500);
}
