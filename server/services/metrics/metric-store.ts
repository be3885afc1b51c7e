import type { MetricDriver, PointRows } from "./metric-driver";
import { WIDTHS } from "./metric-rollup";
import { extents, openBuckets, refreshRollups, summaries, supersede } from "./rollup-sql";
import { KeyRollup, RollupCache, RollupRows, type OpenBucket } from "./rollup-state";

/**
 * One trainer batch in columns: `key[i]` indexes `keys`, and `xs` holds step, value (NaN for a
 * point stored as null) and wall time of point i at 3i, 3i+1, 3i+2. Typed arrays, so a batch
 * crosses to the writer's thread without a copy.
 */
export interface PointsOp {
  kind: "points";
  runId: string;
  keys: string[];
  key: Uint16Array;
  xs: Float64Array;
}
/** A rollback: the run's points after afterStep move aside, in order with the points around it. */
export interface SupersedeOp {
  kind: "supersede";
  runId: string;
  afterStep: number;
  attempt: number;
}
export type WriteOp = PointsOp | SupersedeOp;

/** Steps further apart than this get separate rollup recomputes, not one that rereads everything between. */
const SPAN_GAP = 512;

/** One key's points in a flush: steps ascending and distinct, the last write of a step kept. */
interface Series {
  runId: string;
  key: string;
  steps: number[];
  values: number[];
  wallTimes: number[];
}

/**
 * Writes flushes of trainer batches: the points, their rollups and the runs' summary columns, in
 * one transaction per flush. Rollups are kept incrementally in memory: the bucket each key's last
 * step is in, at every width, loaded on a run's first write. A point after a key's last step is
 * folded in there and only the buckets it touched are written. A point at or before it (a re-sent
 * batch, a resumed trainer redoing steps, a gap filled late) falls back to recomputing its range
 * from the stored points, as does a rollback; the key's memory is then dropped and read again.
 * Before each flush the memory is checked against the top width's rows (last step and number of
 * points per key), so writes by anyone else (another server that had the run, a rollback there)
 * are noticed and the memory reloaded.
 */
export class MetricStore {
  private cache = new RollupCache();
  /**
   * Runs whose last flush failed: their next one takes the careful path (upserts, rollups
   * recomputed from the stored points), so a table that disagrees with its rollups cannot fail
   * every flush of the run in turn.
   */
  private suspect = new Set<string>();

  constructor(private db: MetricDriver) {}

  /** Writes the ops in order, in one transaction; on failure nothing is written and the memory of their runs is dropped. */
  async write(ops: WriteOp[]): Promise<void> {
    const runIds = [...new Set(ops.map((o) => o.runId))];
    for (const id of runIds) this.cache.use(id);
    await this.db.begin();
    try {
      let segment: PointsOp[] = [];
      for (const op of ops) {
        if (op.kind === "points") {
          segment.push(op);
          continue;
        }
        await this.writePoints(segment);
        segment = [];
        for (const s of supersede(op.runId, op.afterStep, op.attempt)) await this.db.run(s);
        this.cache.drop(op.runId);
      }
      await this.writePoints(segment);
      for (const s of summaries(runIds)) await this.db.run(s);
      await this.db.commit();
      for (const id of runIds) this.suspect.delete(id);
    } catch (e) {
      for (const id of runIds) {
        this.cache.drop(id);
        this.suspect.add(id);
      }
      await this.db.rollback().catch(() => {});
      throw e;
    }
  }

  /** Forgets a run's rollup memory (its next write reads it again). */
  forget(runId: string) {
    this.cache.drop(runId);
  }

  close() {
    return this.db.close();
  }

  private async writePoints(ops: PointsOp[]) {
    if (ops.length === 0) return;
    const series = collect(ops);
    await this.prepare(series);
    // Points after their key's last step are new rows; the others may rewrite stored ones.
    const fresh: PointRows = { runId: [], key: [], step: [], value: [], wallTime: [] };
    const rewritten: PointRows = { runId: [], key: [], step: [], value: [], wallTime: [] };
    const recompute = new Map<string, Series[]>();
    for (const s of series) {
      const append = !this.suspect.has(s.runId) && s.steps[0] > this.cache.get(s.runId, s.key)!.lastStep;
      const rows = append ? fresh : rewritten;
      if (!append) {
        const list = recompute.get(s.runId) ?? [];
        recompute.set(s.runId, list);
        list.push(s);
      }
      for (let i = 0; i < s.steps.length; i++) {
        rows.runId.push(s.runId);
        rows.key.push(s.key);
        rows.step.push(s.steps[i]);
        const v = s.values[i];
        rows.value.push(v !== v ? null : v);
        rows.wallTime.push(s.wallTimes[i]);
      }
    }
    await this.db.writePoints(fresh, false);
    await this.db.writePoints(rewritten, true);

    const rollups = { created: new RollupRows(), updated: new RollupRows() };
    for (const s of series) {
      const state = this.cache.get(s.runId, s.key)!;
      if (!this.suspect.has(s.runId) && s.steps[0] > state.lastStep) state.append(s.runId, s.key, s.steps, s.values, s.wallTimes, rollups);
    }
    await this.db.writeRollups(rollups.created, false);
    await this.db.writeRollups(rollups.updated, true);
    for (const [runId, list] of recompute) {
      for (const span of spans(list)) for (const sql of refreshRollups(runId, span.keys, span.from, span.to)) await this.db.run(sql);
      for (const s of list) this.cache.drop(runId, s.key);
    }
  }

  /**
   * Makes sure every series' key has its memory, checked against the database: one query for the
   * runs' top-width rows, then one per run for the open buckets of the keys not held or found stale.
   */
  private async prepare(series: Series[]) {
    const runIds = [...new Set(series.map((s) => s.runId))];
    const stored = new Map<string, { lastStep: number; count: number }>();
    for (const r of await this.db.all<{ runId: string; key: string; lastStep: number | string; count: number | string }>(extents(runIds)))
      stored.set(`${r.runId}\u0000${r.key}`, { lastStep: Number(r.lastStep), count: Number(r.count) });
    const wanted = new Map<string, { key: string; lastStep: number }[]>();
    for (const runId of runIds) {
      for (const [key, state] of this.cache.keysOf(runId) ?? []) {
        const db = stored.get(`${runId}\u0000${key}`);
        if (!db ? state.total !== 0 : db.lastStep !== state.lastStep || db.count !== state.total) this.cache.drop(runId, key);
      }
    }
    for (const s of series) {
      if (this.cache.get(s.runId, s.key)) continue;
      const db = stored.get(`${s.runId}\u0000${s.key}`);
      if (!db) {
        this.cache.set(s.runId, s.key, KeyRollup.empty());
        continue;
      }
      const list = wanted.get(s.runId) ?? [];
      wanted.set(s.runId, list);
      list.push({ key: s.key, lastStep: db.lastStep });
      this.cache.set(s.runId, s.key, new KeyRollup(db.lastStep, db.count, WIDTHS.map(() => null)));
    }
    for (const [runId, keys] of wanted) {
      const rows: ({ key: string; width: number } & OpenBucket)[] = [];
      for (const sql of openBuckets(runId, keys)) rows.push(...(await this.db.all<{ key: string; width: number } & OpenBucket>(sql)));
      const open = new Map<string, (OpenBucket | null)[]>();
      for (const r of rows) {
        const list = open.get(r.key) ?? WIDTHS.map(() => null);
        open.set(r.key, list);
        list[WIDTHS.indexOf(Number(r.width) as (typeof WIDTHS)[number])] = {
          bucket: Number(r.bucket), firstStep: Number(r.firstStep), lastStep: Number(r.lastStep), min: num(r.min), max: num(r.max), last: num(r.last),
          lastWallTime: Number(r.lastWallTime), count: Number(r.count), nanCount: Number(r.nanCount),
        };
      }
      for (const { key, lastStep } of keys) {
        const state = this.cache.get(runId, key)!;
        this.cache.set(runId, key, new KeyRollup(lastStep, state.total, open.get(key) ?? WIDTHS.map(() => null)));
      }
    }
  }
}

const num = (v: unknown) => (v === null ? null : Number(v));

/** The flush's points by run and key, steps ascending and distinct: of two writes of a step, the later wins, as it would in the table. */
function collect(ops: PointsOp[]): Series[] {
  const byKey = new Map<string, { runId: string; key: string; steps: number[]; values: number[]; wallTimes: number[]; sorted: boolean }>();
  for (const op of ops) {
    const groups = op.keys.map((key) => {
      const id = `${op.runId}\u0000${key}`;
      let g = byKey.get(id);
      if (!g) byKey.set(id, (g = { runId: op.runId, key, steps: [], values: [], wallTimes: [], sorted: true }));
      return g;
    });
    for (let i = 0; i < op.key.length; i++) {
      const g = groups[op.key[i]];
      const step = op.xs[3 * i];
      if (g.sorted && g.steps.length > 0 && step <= g.steps[g.steps.length - 1]) g.sorted = false;
      g.steps.push(step);
      g.values.push(op.xs[3 * i + 1]);
      g.wallTimes.push(op.xs[3 * i + 2]);
    }
  }
  const out: Series[] = [];
  for (const g of byKey.values()) {
    if (g.sorted) {
      out.push(g);
      continue;
    }
    // Stable by step, so among equal steps the later write comes last and is the one kept.
    const order = g.steps.map((_, i) => i).sort((a, b) => g.steps[a] - g.steps[b] || a - b);
    const s: Series = { runId: g.runId, key: g.key, steps: [], values: [], wallTimes: [] };
    for (let j = 0; j < order.length; j++) {
      const i = order[j];
      if (j + 1 < order.length && g.steps[order[j + 1]] === g.steps[i]) continue;
      s.steps.push(g.steps[i]);
      s.values.push(g.values[i]);
      s.wallTimes.push(g.wallTimes[i]);
    }
    out.push(s);
  }
  return out;
}

/**
 * Stretches of nearby steps over one run's series, each with the keys written there (a trainer
 * logs its keys at the same steps), so a recompute rereads only around what was written.
 */
function spans(list: Series[]): { keys: string[]; from: number; to: number }[] {
  const points = list.flatMap((s) => s.steps.map((step) => ({ step, key: s.key }))).sort((a, b) => a.step - b.step);
  const out = [];
  let start = 0;
  for (let i = 1; i <= points.length; i++) {
    if (i < points.length && points[i].step - points[i - 1].step <= SPAN_GAP) continue;
    out.push({ keys: [...new Set(points.slice(start, i).map((p) => p.key))], from: points[start].step, to: points[i - 1].step });
    start = i;
  }
  return out;
}
