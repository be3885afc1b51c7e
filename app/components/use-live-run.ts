"use client";
import { useEffect, useState } from "react";
import { mergeByStep, type Point } from "../../lib/downsample";
import { EV, type MetricPoint } from "../../lib/protocol";
import type { RouterOutputs } from "../../server/trpc/router";
import { liveSocket } from "../lib/socket";
import { trpc } from "../lib/trpc";

type Run = RouterOutputs["run"]["get"];
type Checkpoint = RouterOutputs["checkpoint"]["list"][number];
export type SeriesMap = Record<string, Point[]>;

function mergeSeries(series: SeriesMap, incoming: Record<string, Point[]>): SeriesMap {
  const out = { ...series };
  for (const [key, points] of Object.entries(incoming)) out[key] = mergeByStep(out[key] ?? [], points);
  return out;
}

function groupByKey(points: MetricPoint[]): Record<string, Point[]> {
  const out: Record<string, Point[]> = {};
  for (const p of points) (out[p.key] ??= []).push({ step: p.step, value: p.value });
  return out;
}

/**
 * A run's state, kept live: it joins the run's room first, then loads history, and merges both
 * by step, so points that arrive while history loads are neither lost nor doubled.
 */
export function useLiveRun(initial: { run: Run; checkpoints: Checkpoint[]; history: SeriesMap }) {
  const [run, setRun] = useState(initial.run);
  const [checkpoints, setCheckpoints] = useState(initial.checkpoints);
  const [series, setSeries] = useState<SeriesMap>(initial.history);
  const [log, setLog] = useState<string | null>(null);
  const runId = initial.run.id;

  useEffect(() => {
    const socket = liveSocket();
    const onMetrics = (msg: { runId: string; points: MetricPoint[] }) => {
      if (msg.runId === runId) setSeries((s) => mergeSeries(s, groupByKey(msg.points)));
    };
    const onStatus = (r: Run) => r.id === runId && setRun(r);
    const onLog = (msg: { runId: string; message: string }) => msg.runId === runId && setLog(msg.message);
    const onCheckpoint = (msg: { runId: string; checkpoint: Checkpoint }) => {
      if (msg.runId === runId) setCheckpoints((cs) => [msg.checkpoint, ...cs.filter((c) => c.step !== msg.checkpoint.step)]);
    };
    const join = async () => {
      socket.emit(EV.runSubscribe, runId);
      const [history, latest, cps] = await Promise.all([
        trpc.metric.history.query({ runId }),
        trpc.run.get.query({ id: runId }),
        trpc.checkpoint.list.query({ runId }),
      ]);
      setSeries((s) => mergeSeries(s, history));
      setRun(latest);
      setCheckpoints(cps);
    };
    socket.on(EV.metricBatch, onMetrics);
    socket.on(EV.runStatus, onStatus);
    socket.on(EV.checkpointNew, onCheckpoint);
    socket.on(EV.runLog, onLog);
    socket.on("connect", join);
    if (socket.connected) void join();
    return () => {
      socket.emit(EV.runUnsubscribe, runId);
      socket.off(EV.metricBatch, onMetrics);
      socket.off(EV.runStatus, onStatus);
      socket.off(EV.checkpointNew, onCheckpoint);
      socket.off(EV.runLog, onLog);
      socket.off("connect", join);
    };
  }, [runId]);

  return { run, setRun, checkpoints, series, log };
}
