// How many cores other processes kept busy while a benchmark ran: the machine's busy CPU time
// (/proc/stat) less this process's own threads and its finished children (/proc/self/stat). The
// load average cannot tell a benchmark's own threads (workers, PyTorch's) from somebody else's.
import fs from "node:fs";

/** Clock ticks per second of both files (USER_HZ, 100 on every Linux build that matters here). */
const HZ = 100;

export interface CpuMark {
  /** Busy CPU seconds of the whole machine. */
  machine: number;
  /** CPU seconds of this process and of its children it has waited for (spawnSync). */
  own: number;
  wallMs: number;
}

/** A reading of both clocks, or null where /proc is not there. */
export function cpuMark(): CpuMark | null {
  try {
    const ticks = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const idle = ticks[3] + ticks[4];
    const self = fs.readFileSync("/proc/self/stat", "utf8");
    // Fields after the command name, which may itself hold spaces: state is field 3, utime 14 … cstime 17.
    const fields = self.slice(self.lastIndexOf(")") + 2).split(" ").map(Number);
    const own = fields[11] + fields[12] + fields[13] + fields[14];
    return { machine: (ticks.reduce((a, b) => a + b, 0) - idle) / HZ, own: own / HZ, wallMs: performance.now() };
  } catch {
    return null;
  }
}

/** Cores other processes used on average between two marks; null without /proc or over no time. */
export function otherCores(from: CpuMark | null, to: CpuMark | null = cpuMark()): number | null {
  if (!from || !to || to.wallMs <= from.wallMs) return null;
  const others = to.machine - from.machine - (to.own - from.own);
  return Math.max(0, others) / ((to.wallMs - from.wallMs) / 1000);
}
