"use client";
import { useEffect, useRef, useState } from "react";
import { ACTIVE_STATUSES, EV, type MetricPoint } from "../../../lib/protocol";
import type { RouterOutputs } from "../../../server/trpc/router";
import { errorText } from "../../lib/errors";
import { liveSocket } from "../../lib/socket";
import { trpc } from "../../lib/trpc";
import { LiveFeed } from "../charts/chart-live-feed";

export type Run = RouterOutputs["compare"]["runs"]["runs"][number];
export type SummaryRow = RouterOutputs["compare"]["summary"]["rows"][number];
/** runId → metric key → series over the whole run. */
export type Histories = RouterOutputs["compare"]["history"];

const SUMMARY_EVERY_MS = 5000;

/**
 * The compared runs kept live: it joins every run's room and hands their metric points to the
 * charts through a LiveFeed. Statuses follow run:status; a rollback or a reconnect makes the charts
 * load again; the summary rows are reloaded every few seconds while any run is still active.
 * `withData` is the metrics some run has points for, growing as benchmarks start reporting.
 */
export function useCompareLive(initial: { runs: Run[]; histories: Histories; summary: SummaryRow[]; keys: string[] }) {
  const [runs, setRuns] = useState(initial.runs);
  const [summary, setSummary] = useState(initial.summary);
  const [error, setError] = useState<string | null>(null);
  const [withData, setWithData] = useState(() => new Set(Object.values(initial.histories).flatMap((s) => Object.entries(s).filter(([, r]) => r.count > 0).map(([k]) => k))));
  const seen = useRef(withData);
  const feed = useRef(new LiveFeed()).current;
  const wasActive = useRef(false);
  const runIds = initial.runs.map((r) => r.id);
  const idsKey = runIds.join(",");
  const anyActive = runs.some((r) => ACTIVE_STATUSES.includes(r.status));

  useEffect(() => {
    if (runIds.length === 0) return;
    const ids = new Set(runIds);
    const socket = liveSocket();
    let joins = 0;
    const onMetrics = (msg: { runId: string; points: MetricPoint[] }) => {
      if (!ids.has(msg.runId)) return;
      feed.push(msg.runId, msg.points);
      const fresh = msg.points.filter((p) => initial.keys.includes(p.key) && !seen.current.has(p.key));
      if (fresh.length === 0) return;
      seen.current = new Set([...seen.current, ...fresh.map((p) => p.key)]);
      setWithData(seen.current);
    };
    const onStatus = (run: Run) => ids.has(run.id) && setRuns((rs) => rs.map((r) => (r.id === run.id ? run : r)));
    const onRollback = (msg: { runId: string }) => ids.has(msg.runId) && feed.reset(msg.runId);
    const join = async () => {
      await Promise.all(runIds.map(async (id) => {
        await socket.timeout(5000).emitWithAck(EV.runSubscribe, id).catch((e) => setError(`joining run ${id} live failed: ${e}`));
        feed.markJoined(id);
        if (joins > 0) feed.reset(id);
      }));
      joins++;
    };
    const onDisconnect = () => runIds.forEach((id) => feed.markLeft(id));
    socket.on(EV.metricBatch, onMetrics);
    socket.on(EV.runStatus, onStatus);
    socket.on(EV.runRollback, onRollback);
    socket.on("connect", join);
    socket.on("disconnect", onDisconnect);
    if (socket.connected) void join();
    return () => {
      for (const id of runIds) socket.emit(EV.runUnsubscribe, id);
      onDisconnect();
      socket.off(EV.metricBatch, onMetrics);
      socket.off(EV.runStatus, onStatus);
      socket.off(EV.runRollback, onRollback);
      socket.off("connect", join);
      socket.off("disconnect", onDisconnect);
    };
    // idsKey stands for runIds; the keys come with them from the server.
  }, [idsKey]);

  useEffect(() => {
    if (runIds.length === 0) return;
    const refresh = () =>
      trpc.compare.summary.query({ runIds }).then((s) => setSummary(s.rows), (e) => setError(errorText(e)));
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

  return { runs, summary, error, feed, withData };
}
