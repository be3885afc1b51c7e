import { Prisma } from "../../generated/prisma/client";
import { downsampleMinMax } from "../../lib/downsample";
import type { MetricPoint } from "../../lib/protocol";
import type { Db } from "../db";

interface Pending {
  runId: string;
  /** Points to upsert, or a rollback: move the run's points after `supersede.afterStep` aside. */
  points: MetricPoint[];
  supersede?: { afterStep: number; attempt: number };
  resolve: () => void;
  reject: (e: unknown) => void;
}

const ROWS_PER_STATEMENT = 500;

/**
 * Buffers incoming metric points and writes them in one transaction per flush (about every
 * 100 ms). Writes are idempotent on (run, key, step), so a re-sent batch never doubles a row.
 * Each enqueue resolves once its points are durable, which is when the trainer gets its ack.
 */
export class MetricWriter {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private db: Db,
    private onFlushed: (runIds: Set<string>) => Promise<void> | void = () => {},
    private intervalMs = 100,
  ) {}

  enqueue(runId: string, points: MetricPoint[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ runId, points, resolve, reject });
      this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
    });
  }

  /**
   * Moves the run's points after afterStep to SupersededMetric, in order with the writes: points
   * enqueued before this move with it, and points enqueued after land in Metric.
   */
  supersede(runId: string, afterStep: number, attempt: number): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.pending.push({ runId, points: [], supersede: { afterStep, attempt }, resolve, reject }));
    void this.flush();
    return done;
  }

  /** Writes everything buffered so far; resolves when it is on disk. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const statements = [];
    let rows: ({ runId: string } & MetricPoint)[] = [];
    for (const b of batch) {
      if (!b.supersede) {
        for (const p of b.points) rows.push({ runId: b.runId, ...p });
        continue;
      }
      statements.push(...this.upserts(rows), ...this.moves(b.runId, b.supersede.afterStep, b.supersede.attempt));
      rows = [];
    }
    statements.push(...this.upserts(rows));
    try {
      await this.db.$transaction(statements);
    } catch (e) {
      for (const b of batch) b.reject(e);
      return;
    }
    for (const b of batch) b.resolve();
    await this.onFlushed(new Set(batch.map((b) => b.runId)));
  }

  private upserts(rows: ({ runId: string } & MetricPoint)[]) {
    const statements = [];
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const values = rows
        .slice(i, i + ROWS_PER_STATEMENT)
        .map((r) => Prisma.sql`(${r.runId}, ${r.key}, ${r.step}, ${r.value}, ${r.wallTime})`);
      statements.push(
        this.db.$executeRaw`INSERT INTO "Metric" ("runId", "key", "step", "value", "wallTime")
          VALUES ${Prisma.join(values)}
          ON CONFLICT ("runId", "key", "step") DO UPDATE SET "value" = excluded."value", "wallTime" = excluded."wallTime"`,
      );
    }
    return statements;
  }

  private moves(runId: string, afterStep: number, attempt: number) {
    return [
      this.db.$executeRaw`INSERT INTO "SupersededMetric" ("runId", "key", "step", "value", "wallTime", "attempt")
        SELECT "runId", "key", "step", "value", "wallTime", ${attempt} FROM "Metric" WHERE "runId" = ${runId} AND "step" > ${afterStep}`,
      this.db.$executeRaw`DELETE FROM "Metric" WHERE "runId" = ${runId} AND "step" > ${afterStep}`,
    ];
  }

  async close(): Promise<void> {
    await this.flush();
  }
}

export type SeriesPoint = { step: number; value: number | null; wallTime: number };

/** A run's stored series, each reduced to about `maxPoints` points with spikes kept. */
export async function metricHistory(
  db: Db,
  runId: string,
  opts: { keys?: string[]; maxPoints: number },
): Promise<Record<string, SeriesPoint[]>> {
  const rows = await db.metric.findMany({
    where: { runId, ...(opts.keys ? { key: { in: opts.keys } } : {}) },
    orderBy: [{ key: "asc" }, { step: "asc" }],
    select: { key: true, step: true, value: true, wallTime: true },
  });
  const byKey: Record<string, SeriesPoint[]> = {};
  for (const r of rows) (byKey[r.key] ??= []).push({ step: r.step, value: r.value, wallTime: r.wallTime });
  for (const key of Object.keys(byKey)) byKey[key] = downsampleMinMax(byKey[key], opts.maxPoints);
  return byKey;
}

/** Points a rollback undid, by key, for drawing beneath the live series. */
export async function supersededHistory(db: Db, runId: string, maxPoints: number): Promise<Record<string, (SeriesPoint & { attempt: number })[]>> {
  const rows = await db.supersededMetric.findMany({
    where: { runId },
    orderBy: [{ key: "asc" }, { step: "asc" }],
    select: { key: true, step: true, value: true, wallTime: true, attempt: true },
  });
  const byKey: Record<string, (SeriesPoint & { attempt: number })[]> = {};
  for (const r of rows) (byKey[r.key] ??= []).push(r);
  for (const key of Object.keys(byKey)) byKey[key] = downsampleMinMax(byKey[key], maxPoints);
  return byKey;
}

/** The newest value of each key, for the runs table. */
export async function latestValues(db: Db, runId: string, keys: string[]): Promise<Record<string, number | null>> {
  const out: Record<string, number | null> = {};
  for (const key of keys) {
    const row = await db.metric.findFirst({ where: { runId, key }, orderBy: { step: "desc" }, select: { value: true } });
    if (row) out[key] = row.value;
  }
  return out;
}
