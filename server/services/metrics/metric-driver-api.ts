import type { RollupRows } from "./rollup-state";
import type { Sql } from "./sql";

/** Metric rows to upsert, column by column. */
export interface PointRows {
  runId: string[];
  key: string[];
  step: number[];
  value: (number | null)[];
  wallTime: number[];
}

/**
 * What the metric store needs of a database: a transaction, plain statements, and the bulk writes
 * of points and rollup rows, which each engine does its own fastest way. `upsert` false: rows the
 * store knows are new (after a key's last step, in the transaction that checked it), written
 * with a plain INSERT, which PostgreSQL does 15–20% faster; should one exist after all, the flush
 * fails, nothing is acked, and the re-sent batch takes the upsert. One store uses one driver at a
 * time.
 */
export interface MetricDriver {
  readonly engine: "sqlite" | "postgresql";
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  run(sql: Sql): Promise<void>;
  all<R>(sql: Sql): Promise<R[]>;
  writePoints(rows: PointRows, upsert: boolean): Promise<void>;
  writeRollups(rows: RollupRows, upsert: boolean): Promise<void>;
  close(): Promise<void>;
}
