import fs from "node:fs";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { ACTIVE_STATUSES, type RunStatus } from "../../../lib/protocol";
import type { RunAnnotation } from "../../../lib/run-annotation";
import type { Db } from "../../db/db";
import type { Hub } from "../hub/hub";
import type { RunSummary } from "../hub/run-summary";
import type { RunService } from "./runs";
import { LOG_FILE } from "./trainer-log";

/** Filing a run (name, notes, labels, project, star, archive) and deleting it with its files. */
export class RunAdmin {
  /** Drops what the server holds in memory for a deleted run (writer, detectors); set by the services. */
  forget: ((runId: string) => void) | null = null;

  constructor(
    private db: Db,
    private hub: Hub,
    private runs: RunService,
  ) {}

  async annotate(id: string, change: RunAnnotation): Promise<RunSummary> {
    await this.runs.get(id);
    const { labels, ...rest } = change;
    await this.db.run.update({ where: { id }, data: { ...rest, ...(labels ? { labels: JSON.stringify(labels) } : {}) } });
    const summary = await this.runs.get(id);
    this.hub.runChanged(summary);
    return summary;
  }

  /**
   * The trainer's log from byte `from` on, at most `maxBytes`, cut at a line end; the page polls
   * with `next` to follow it live. `from` past the end (the log was replaced on a restart) starts over.
   */
  async logSlice(id: string, from: number, maxBytes: number) {
    await this.runs.get(id);
    const file = path.join(this.runs.runDir(id), LOG_FILE);
    const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    const start = from > size ? 0 : from;
    const length = Math.min(maxBytes, size - start);
    if (length <= 0) return { text: "", next: start, size, restarted: from > size };
    const buf = Buffer.alloc(length);
    const fd = fs.openSync(file, "r");
    try {
      fs.readSync(fd, buf, 0, length, start);
    } finally {
      fs.closeSync(fd);
    }
    const cut = start + length < size ? buf.lastIndexOf(10) + 1 : length;
    const used = cut > 0 ? cut : length;
    return { text: buf.subarray(0, used).toString("utf8"), next: start + used, size, restarted: from > size };
  }

  /** Every label and project in use, for the runs table's filters and the pickers. */
  async vocabulary() {
    const rows = await this.db.run.findMany({ select: { labels: true, project: true } });
    const labels = new Map<string, number>();
    const projects = new Map<string, number>();
    for (const r of rows) {
      for (const l of JSON.parse(r.labels) as string[]) labels.set(l, (labels.get(l) ?? 0) + 1);
      if (r.project) projects.set(r.project, (projects.get(r.project) ?? 0) + 1);
    }
    const sorted = (m: Map<string, number>) => [...m].sort((a, b) => a[0].localeCompare(b[0])).map(([name, runs]) => ({ name, runs }));
    return { labels: sorted(labels), projects: sorted(projects) };
  }

  /**
   * Deletes a run that has ended, with its metrics, checkpoints, alerts and files. A run that others
   * were forked from is kept, so that no fork loses its parent: delete the forks first (or archive).
   */
  async delete(id: string): Promise<{ id: string; freedBytes: number }> {
    const run = await this.runs.get(id);
    if (ACTIVE_STATUSES.includes(run.status as RunStatus)) throw new TRPCError({ code: "CONFLICT", message: `Run ${run.name} is ${run.status}; stop it before deleting it` });
    const forks = await this.runs.forks(id);
    if (forks.length > 0)
      throw new TRPCError({ code: "CONFLICT", message: `Run ${run.name} has forks (${forks.map((f) => f.name).join(", ")}); delete them first, or archive this run instead` });
    const dir = this.runs.runDir(id);
    const freedBytes = folderBytes(dir);
    // The rows first: a run whose files went but whose row stayed would look intact and fail to load.
    await this.db.$transaction([
      this.db.metricRollup.deleteMany({ where: { runId: id } }),
      this.db.supersededMetric.deleteMany({ where: { runId: id } }),
      this.db.evalPrediction.deleteMany({ where: { runId: id } }),
      this.db.alertMute.deleteMany({ where: { runId: id } }),
      this.db.run.delete({ where: { id } }),
    ]);
    this.forget?.(id);
    fs.rmSync(dir, { recursive: true, force: true });
    this.hub.runDeleted(id);
    return { id, freedBytes };
  }
}

function folderBytes(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) total += fs.statSync(`${e.parentPath}/${e.name}`).size;
  return total;
}
