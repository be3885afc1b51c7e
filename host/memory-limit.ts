import fs from "node:fs";
import os from "node:os";

/** The memory this process may use: its cgroup's limit (v2, then v1) where one is set, else the machine's RAM. */
export function memoryLimitBytes(): number {
  for (const file of ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]) {
    try {
      const limit = Number(fs.readFileSync(file, "utf8").trim());
      // cgroup v1 reports "no limit" as a huge number near 2^63.
      if (Number.isFinite(limit) && limit > 0 && limit < os.totalmem()) return limit;
    } catch {
      // not in a cgroup with that controller
    }
  }
  return os.totalmem();
}
