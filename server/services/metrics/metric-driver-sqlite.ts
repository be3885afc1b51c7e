import Database from "better-sqlite3";
import type { MetricDriver, PointRows } from "./metric-driver-api";
import { POINT_INSERT, POINT_UPSERT, ROLLUP_COLUMNS, ROLLUP_INSERT, ROLLUP_UPSERT } from "./rollup-sql";
import type { RollupRows } from "./rollup-state";
import type { Sql } from "./sql";

/** Rows per multi-row statement at most; a bulk write is cut into powers of two so few statements are ever prepared. */
const MAX_ROWS = 512;

/**
 * better-sqlite3 on its own connection to the server's file. WAL, as the server sets it, with
 * synchronous FULL: a commit is on disk before the writer acks it. busy_timeout covers the
 * server's Prisma connection holding the write lock for a moment. A flush dirties a few MB of
 * pages, so the page cache is 64 MiB (2 MiB by default spilled mid-transaction) and the WAL is
 * checkpointed every 10,000 pages rather than 1,000, which writes the pages that every flush
 * touches (the indexes' right edges) once per checkpoint instead of once per flush; in runs here
 * each was worth 5–20% of the writer's throughput.
 */
export function openSqlite(url: string, readOnly = false): MetricDriver {
  const db = new Database(url.slice("file:".length), { timeout: 10_000, readonly: readOnly });
  db.pragma("cache_size = -65536");
  if (!readOnly) {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma("wal_autocheckpoint = 10000");
  }
  const statements = new Map<string, Database.Statement>();
  const prepared = (text: string) => {
    let s = statements.get(text);
    if (!s) statements.set(text, (s = db.prepare(text)));
    return s;
  };
  const bulk = (head: string, tail: string, columns: number, rows: number, bind: (i: number, out: unknown[], at: number) => void) => {
    const tuple = `(${Array.from({ length: columns }, () => "?").join(", ")})`;
    for (let start = 0; start < rows; ) {
      let size = MAX_ROWS;
      while (size > rows - start) size >>= 1;
      const params: unknown[] = new Array(size * columns);
      for (let i = 0; i < size; i++) bind(start + i, params, i * columns);
      prepared(`${head} VALUES ${Array.from({ length: size }, () => tuple).join(", ")} ${tail}`).run(params);
      start += size;
    }
  };
  return {
    engine: "sqlite",
    async begin() {
      prepared("BEGIN IMMEDIATE").run();
    },
    async commit() {
      prepared("COMMIT").run();
    },
    async rollback() {
      if (db.inTransaction) prepared("ROLLBACK").run();
    },
    async run(sql: Sql) {
      prepared(sql.text).run(sql.params);
    },
    async all<R>(sql: Sql) {
      return prepared(sql.text).all(sql.params) as R[];
    },
    async writePoints(r: PointRows, upsert: boolean) {
      bulk(POINT_INSERT, upsert ? POINT_UPSERT : "", 5, r.runId.length, (i, out, at) => {
        out[at] = r.runId[i];
        out[at + 1] = r.key[i];
        out[at + 2] = r.step[i];
        out[at + 3] = r.value[i];
        out[at + 4] = r.wallTime[i];
      });
    },
    async writeRollups(r: RollupRows, upsert: boolean) {
      const cols = ROLLUP_COLUMNS.map((c) => r[c]);
      bulk(ROLLUP_INSERT, upsert ? ROLLUP_UPSERT : "", cols.length, r.length, (i, out, at) => {
        for (let c = 0; c < cols.length; c++) out[at + c] = cols[c][i];
      });
    },
    async close() {
      db.close();
    },
  };
}
