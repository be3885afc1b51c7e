"use client";
import { useEffect, useRef, useState } from "react";
import { mergeByStep } from "../../lib/downsample";
import { ACTIVE_STATUSES, EV, type MetricPoint } from "../../lib/protocol";
import type { RouterOutputs } from "../../server/trpc/router";
import { liveSocket } from "../lib/socket";
import { trpc } from "../lib/trpc";

export type Run = RouterOutputs["compare"]["runs"]["runs"][number];
export type SummaryRow = RouterOutputs["compare"]["summary"]["rows"][number];
export type TimedPoint = { step: number; value: number | null; wallTime: number };
/** runId → metric key → points. */
export type Histories = Record<string, Record<string, TimedPoint[]>>;

/** Twenty runs logging every step would redraw every chart many times a second; batches are applied at this pace. */
const APPLY_EVERY_MS = 500;
const SUMMARY_EVERY_MS = 5000;

function mergeInto(histories: Histories, incoming: MetricPoint[][], runIds: string[]): Histories {
  const out = { ...histories };
  incoming.forEach((points, i) => {
    const runId = runIds[i];
    const byKey: Record<string, TimedPoint[]> = {};
    for (const p of points) (byKey[p.key] ??= []).push({ step: p.step, value: p.value, wallTime: p.wallTime });
    const run = { ...out[runId] };
    for (const [key, pts] of Object.entries(byKey)) run[key] = mergeByStep(run[key] ?? [], pts);
    out[runId] = run;
  });
  return out;
}

/**
 * The compared runs kept live: it joins every run's room, then loads their history in one call,
 * and merges live points by step on top. Statuses follow run:status; the summary rows are
 * reloaded every few seconds while any run is still active.
 */
export function useCompareLive(initial: { runs: Run[]; histories: Histories; summary: SummaryRow[]; keys: string[] }) {
  const [runs, setRuns] = useState(initial.runs);
  const [histories, setHistories] = useState(initial.histories);
  const [summary, setSummary] = useState(initial.summary);
  const [error, setError] = useState<string | null>(null);
  const pending = useRef<{ runId: string; points: MetricPoint[] }[]>([]);
  const wasActive = useRef(false);
  const runIds = initial.runs.map((r) => r.id);
  const idsKey = runIds.join(",");
  const anyActive = runs.some((r) => ACTIVE_STATUSES.includes(r.status));

  useEffect(() => {
    if (runIds.length === 0) return;
    const ids = new Set(runIds);
    const keys = new Set(initial.keys);
    const socket = liveSocket();
    const onMetrics = (msg: { runId: string; points: MetricPoint[] }) => {
      if (!ids.has(msg.runId)) return;
      const points = msg.points.filter((p) => keys.has(p.key));
      if (points.length) pending.current.push({ runId: msg.runId, points });
    };
    const onStatus = (run: Run) => ids.has(run.id) && setRuns((rs) => rs.map((r) => (r.id === run.id ? run : r)));
    const reload = async () => {
      try {
        const fresh = await trpc.compare.history.query({ runIds, keys: initial.keys });
        setHistories((h) => {
          const out = { ...h };
          for (const [runId, series] of Object.entries(fresh)) {
            const run = { ...out[runId] };
            for (const [key, points] of Object.entries(series)) run[key] = mergeByStep(run[key] ?? [], points);
            out[runId] = run;
          }
          return out;
        });
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
    };
    // A rollback rewrites a run's history after a step; dropping and reloading is simplest.
    const onRollback = (msg: { runId: string; toStep: number }) => {
      if (!ids.has(msg.runId)) return;
      setHistories((h) => ({
        ...h,
        [msg.runId]: Object.fromEntries(Object.entries(h[msg.runId] ?? {}).map(([k, pts]) => [k, pts.filter((p) => p.step <= msg.toStep)])),
      }));
      void reload();
    };
    const join = () => {
      for (const id of runIds) socket.emit(EV.runSubscribe, id);
      void reload();
    };
    const apply = setInterval(() => {
      const batch = pending.current;
      if (batch.length === 0) return;
      pending.current = [];
      setHistories((h) => mergeInto(h, batch.map((b) => b.points), batch.map((b) => b.runId)));
    }, APPLY_EVERY_MS);
    socket.on(EV.metricBatch, onMetrics);
    socket.on(EV.runStatus, onStatus);
    socket.on(EV.runRollback, onRollback);
    socket.on("connect", join);
    if (socket.connected) join();
    return () => {
      clearInterval(apply);
      for (const id of runIds) socket.emit(EV.runUnsubscribe, id);
      socket.off(EV.metricBatch, onMetrics);
      socket.off(EV.runStatus, onStatus);
      socket.off(EV.runRollback, onRollback);
      socket.off("connect", join);
    };
    // idsKey stands for runIds; the keys come with them from the server.
  }, [idsKey]);

  useEffect(() => {
    if (runIds.length === 0) return;
    const refresh = () =>
      trpc.compare.summary.query({ runIds }).then((s) => setSummary(s.rows), (e) => setError(e instanceof Error ? e.message : String(e)));
    // One last refresh once the final run ends, so its summary shows the end state.
    if (!anyActive) {
      if (wasActive.current) void refresh();
      wasActive.current = false;
      return;
    }
    wasActive.current = true;
    const timer = setInterval(refresh, SUMMARY_EVERY_MS);
    return () => clearInterval(timer);
  }, [idsKey, anyActive]);

  return { runs, histories, summary, error };
}
