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
/** Per metric key, the points that rollbacks undid, each tagged with its attempt. */
export type SupersededMap = RouterOutputs["alert"]["superseded"];

function mergeSeries(series: SeriesMap, incoming: Record<string, Point[]>): SeriesMap {
  const out = { ...series };
  for (const [key, points] of Object.entries(incoming)) out[key] = mergeByStep(out[key] ?? [], points);
  return out;
}

function dropAfter(series: SeriesMap, step: number): SeriesMap {
  return Object.fromEntries(Object.entries(series).map(([key, points]) => [key, points.filter((p) => p.step <= step)]));
}

function groupByKey(points: MetricPoint[]): Record<string, Point[]> {
  const out: Record<string, Point[]> = {};
  for (const p of points) (out[p.key] ??= []).push({ step: p.step, value: p.value });
  return out;
}

/**
 * A run's state, kept live: it joins the run's room first, then loads history, and merges both
 * by step, so points that arrive while history loads are neither lost nor doubled. A rollback drops
 * the live points after the step it went back to; they come back from the server as superseded.
 */
export function useLiveRun(initial: { run: Run; checkpoints: Checkpoint[]; history: SeriesMap }) {
  const [run, setRun] = useState(initial.run);
  const [checkpoints, setCheckpoints] = useState(initial.checkpoints);
  const [series, setSeries] = useState<SeriesMap>(initial.history);
  const [superseded, setSuperseded] = useState<SupersededMap>({});
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
    const loadMetrics = async () => {
      const [history, undone] = await Promise.all([trpc.metric.history.query({ runId }), trpc.alert.superseded.query({ runId })]);
      setSeries((s) => mergeSeries(s, history));
      setSuperseded(undone);
    };
    // Replayed points can overtake this event; the history reload brings back any that were dropped.
    const onRollback = (msg: { runId: string; toStep: number }) => {
      if (msg.runId !== runId) return;
      setSeries((s) => dropAfter(s, msg.toStep));
      void loadMetrics();
    };
    const join = async () => {
      socket.emit(EV.runSubscribe, runId);
      const [latest, cps] = await Promise.all([trpc.run.get.query({ id: runId }), trpc.checkpoint.list.query({ runId }), loadMetrics()]);
      setRun(latest);
      setCheckpoints(cps);
    };
    socket.on(EV.metricBatch, onMetrics);
    socket.on(EV.runStatus, onStatus);
    socket.on(EV.checkpointNew, onCheckpoint);
    socket.on(EV.runLog, onLog);
    socket.on(EV.runRollback, onRollback);
    socket.on("connect", join);
    if (socket.connected) void join();
    return () => {
      socket.emit(EV.runUnsubscribe, runId);
      socket.off(EV.metricBatch, onMetrics);
      socket.off(EV.runStatus, onStatus);
      socket.off(EV.checkpointNew, onCheckpoint);
      socket.off(EV.runLog, onLog);
      socket.off(EV.runRollback, onRollback);
      socket.off("connect", join);
    };
  }, [runId]);

  return { run, setRun, checkpoints, series, superseded, log };
}
