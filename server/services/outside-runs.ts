import crypto from "node:crypto";
import type { Db } from "../db";
import type { Hub } from "./hub";
import type { MetricWriter } from "./metric-writer";
import type { RunService } from "./runs";
import type { MetricPoint } from "../../lib/protocol";

/**
 * TEMPORARY stand-in for the outside-runs service being built on main (same interface, per the
 * contract); replaced by main's file at merge. Names map to keys in memory only.
 */
export class OutsideRuns {
  private names = new Map<string, Map<string, string>>();

  constructor(private db: Db, private hub: Hub, private writer: MetricWriter, private runs: RunService) {}

  async create(o: { name: string; source: "mlflow" | "tensorboard"; tags?: Record<string, string>; startTime?: number }) {
    const row = await this.db.run.create({
      data: { name: o.name.slice(0, 200), status: "running", config: JSON.stringify({ name: o.name.slice(0, 80) || "outside" }), token: crypto.randomUUID(), totalSteps: 0, startedAt: new Date() },
    });
    return { id: row.id };
  }

  async log(runId: string, points: { name: string; step: number; value: number | null; wallTime: number }[]) {
    let map = this.names.get(runId);
    if (!map) this.names.set(runId, (map = new Map()));
    const out: MetricPoint[] = points.map((p) => {
      const key = p.name.toLowerCase().replace(/[^a-z0-9_/.]/g, "_").slice(0, 64) || "_";
      map.set(key, p.name);
      return { key, step: p.step, value: p.value !== null && Number.isFinite(p.value) ? p.value : null, wallTime: p.wallTime > 0 ? p.wallTime : 1 };
    });
    this.hub.metrics(runId, out);
    await this.writer.enqueue(runId, out);
  }

  async setStatus(runId: string, status: "running" | "completed" | "failed" | "stopped", endTimeMs?: number) {
    const ended = status === "running" ? null : new Date(endTimeMs ?? Date.now());
    const row = await this.db.run.update({ where: { id: runId }, data: { status, endedAt: ended } });
    void row;
    this.hub.runChanged(await this.runs.get(runId));
  }

  async setTags(_runId: string, _tags: Record<string, string>) {}

  async metricNames(runId: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.names.get(runId) ?? []);
  }
}
