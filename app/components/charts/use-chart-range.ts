"use client";
import { useEffect, useRef, useState } from "react";
import { appendLive, spanOfPoint } from "../../../lib/downsample";
import type { MetricPoint } from "../../../lib/protocol";
import type { RouterOutputs } from "../../../server/trpc/router";
import { errorText } from "../../lib/errors";
import { trpc } from "../../lib/trpc";
import type { LiveFeed } from "./chart-live-feed";
import type { QueryWindow } from "./chart-x";

export type RangeSeries = RouterOutputs["metric"]["range"][string];
/** metric key → series, for one run. */
export type RunRanges = Record<string, RangeSeries>;
/** runId → its series. */
export type Ranges = Record<string, RunRanges>;
/** What one chart shows of one run: its keys over a window (null: the whole run, following it live). */
export interface RangeSource {
  runId: string;
  keys: string[];
  window: QueryWindow | null;
}

/** About one bucket per pixel of a wide chart. */
export const BUDGET = 1000;
/** How often buffered live points reach the chart: a run at 50 steps/s redraws 4 times a second, not 50. */
const LIVE_APPLY_MS = 250;
/** A zoom or pan re-queries once the gesture pauses. */
const REQUERY_DELAY_MS = 150;
/**
 * Live points of the last few seconds, replayed onto every fresh load: the server broadcasts a
 * point before its write lands, so a query can miss one the page has already seen.
 */
const REPLAY_MS = 3000;
/** The naive baseline of bench/chart-browser.ts: every stored point, no range queries. */
const EVERY_POINT = 10_000_000;

async function load(s: RangeSource, naive: boolean): Promise<RunRanges> {
  if (!naive) return trpc.metric.range.query({ runId: s.runId, keys: s.keys, buckets: BUDGET, ...(s.window ?? {}) });
  const history = await trpc.metric.history.query({ runId: s.runId, keys: s.keys, maxPoints: EVERY_POINT });
  return Object.fromEntries(s.keys.map((k) => {
    const points = (history[k] ?? []).map(spanOfPoint);
    return [k, { raw: true, minStep: points[0]?.step ?? null, maxStep: points.at(-1)?.step ?? null, count: points.length, points }];
  }));
}

/** Live points added to a series that follows its run; spans widen with the run so their number stays near the budget. */
export function withLive(s: RangeSeries | undefined, points: MetricPoint[], naive: boolean): RangeSeries {
  const base = s ?? { raw: true, minStep: null, maxStep: null, count: 0, points: [] };
  const steps = points.map((p) => p.step);
  const added = new Set(steps.filter((step) => step > (base.maxStep ?? -1))).size;
  const minStep = Math.min(base.minStep ?? Infinity, ...steps);
  const maxStep = Math.max(base.maxStep ?? -Infinity, ...steps);
  const width = naive ? 1 : Math.max(1, Math.ceil((maxStep - minStep + 1) / BUDGET));
  const merged = appendLive(base.points, points, width);
  // Only the old tail and what follows can have changed; a sparse key stays raw while its points stay apart.
  const raw = base.raw && merged.slice(Math.max(0, base.points.length - 1)).every((p) => p.count === 1);
  return { raw, minStep, maxStep, count: base.count + added, points: merged };
}

function applyLive(data: Ranges, runId: string, points: MetricPoint[], naive: boolean): Ranges {
  if (points.length === 0) return data;
  // Metric keys come from trainers ("__proto__", "constructor"): Maps, never a plain object indexed by them.
  const byKey = new Map<string, MetricPoint[]>();
  for (const p of points) {
    const series = byKey.get(p.key);
    if (series) series.push(p);
    else byKey.set(p.key, [p]);
  }
  const run = new Map(Object.entries(data[runId] ?? {}));
  for (const [key, pts] of byKey) run.set(key, withLive(run.get(key), pts, naive));
  return { ...data, [runId]: Object.fromEntries(run) };
}

/**
 * The series of some runs' keys over their windows, from metric.range: at most BUDGET spans each,
 * with min, max and last, so a spike or a NaN is never sampled away. A window change re-queries
 * after a pause; sources that follow their run take live points from the feed.
 */
export function useChartRange(sources: RangeSource[], opts: { feed: LiveFeed | null; naive?: boolean; initial?: Ranges }) {
  const naive = opts.naive ?? false;
  const [data, setData] = useState<Ranges>(opts.initial ?? {});
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  const asked = useRef(0);
  const first = useRef(true);
  const recent = useRef<{ at: number; runId: string; points: MetricPoint[] }[]>([]);
  // The naive baseline zooms on the client alone, so its windows never re-query.
  const what = JSON.stringify(sources.map((s) => [s.runId, s.keys, naive ? null : s.window]));

  useEffect(() => {
    const initial = first.current && opts.initial;
    const delay = first.current ? 0 : REQUERY_DELAY_MS;
    first.current = false;
    if (initial && sources.every((s) => s.window === null && s.keys.every((k) => initial[s.runId]?.[k]))) return void setLoading(false);
    const id = ++asked.current;
    const timer = setTimeout(async () => {
      setLoading(true);
      try {
        await Promise.all(sources.map((s) => opts.feed?.whenJoined(s.runId)));
        const loaded = await Promise.all(sources.map((s) => load(s, naive)));
        if (id !== asked.current) return;
        const replay = recent.current.filter((r) => sources.some((s) => s.runId === r.runId && (naive || s.window === null)));
        setData((d) => {
          let out = { ...d };
          sources.forEach((s, i) => (out[s.runId] = { ...out[s.runId], ...loaded[i] }));
          for (const r of replay) out = applyLive(out, r.runId, r.points, naive);
          return out;
        });
        setError(null);
      } catch (e) {
        if (id === asked.current) setError(errorText(e));
      } finally {
        if (id === asked.current) setLoading(false);
      }
    }, delay);
    return () => clearTimeout(timer);
    // `what` stands for the sources.
  }, [what, reloads]);

  useEffect(() => {
    const feed = opts.feed;
    if (!feed) return;
    const following = sources.filter((s) => naive || s.window === null);
    let pending: { runId: string; points: MetricPoint[] }[] = [];
    const offs = following.map((s) => feed.subscribe(s.runId, s.keys, (points) => {
      pending.push({ runId: s.runId, points });
      const now = Date.now();
      recent.current = [...recent.current.filter((r) => now - r.at < REPLAY_MS), { at: now, runId: s.runId, points }];
    }));
    // After a rollback the recent points are history that was undone: nothing to replay.
    const resets = [...new Set(sources.map((s) => s.runId))].map((runId) => feed.onReset(runId, () => {
      recent.current = recent.current.filter((r) => r.runId !== runId);
      pending = pending.filter((r) => r.runId !== runId);
      setReloads((n) => n + 1);
    }));
    const timer = setInterval(() => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      setData((d) => batch.reduce((out, { runId, points }) => applyLive(out, runId, points, naive), d));
    }, LIVE_APPLY_MS);
    return () => {
      clearInterval(timer);
      for (const off of [...offs, ...resets]) off();
    };
  }, [opts.feed, what]);

  // Spans added live are finer than a fresh query's; past twice the budget, a reload evens them out.
  const overgrown = !naive && !loading && sources.some((s) => s.window === null && s.keys.some((k) => (data[s.runId]?.[k]?.points.length ?? 0) > 2 * BUDGET));
  useEffect(() => {
    if (overgrown) setReloads((n) => n + 1);
  }, [overgrown]);

  return { data, loading, error };
}
