"use client";
import { useEffect, useRef, useState } from "react";
import { EV, type MetricPoint } from "../../../lib/protocol";
import type { RouterOutputs } from "../../../server/trpc/router";
import { liveSocket } from "../../lib/socket";
import { trpc } from "../../lib/trpc";
import { LiveFeed } from "../charts/chart-live-feed";
import type { SupersededMap } from "../charts/chart-run";

type Run = RouterOutputs["run"]["get"];
type Checkpoint = RouterOutputs["checkpoint"]["list"][number];

/**
 * A run's state, kept live. It joins the run's room and hands metric points to the page's charts
 * through a LiveFeed, which they read from; the run, its checkpoints and the keys it logs are kept
 * here. A rollback, or a reconnect that may have missed points, makes the charts load again.
 */
export function useLiveRun(initial: { run: Run; checkpoints: Checkpoint[]; keys: string[] }) {
  const [run, setRun] = useState(initial.run);
  const [checkpoints, setCheckpoints] = useState(initial.checkpoints);
  const [keys, setKeys] = useState(initial.keys);
  const [superseded, setSuperseded] = useState<SupersededMap>({});
  const [log, setLog] = useState<string | null>(null);
  const feed = useRef(new LiveFeed()).current;
  const known = useRef(new Set(initial.keys));
  const runId = initial.run.id;

  useEffect(() => {
    const socket = liveSocket();
    let joins = 0;
    const onMetrics = (msg: { runId: string; points: MetricPoint[] }) => {
      if (msg.runId !== runId) return;
      feed.push(runId, msg.points);
      const fresh = msg.points.filter((p) => !known.current.has(p.key)).map((p) => p.key);
      if (fresh.length === 0) return;
      for (const k of fresh) known.current.add(k);
      setKeys([...known.current].sort());
    };
    const onStatus = (r: Run) => r.id === runId && setRun(r);
    const onLog = (msg: { runId: string; message: string }) => msg.runId === runId && setLog(msg.message);
    const onCheckpoint = (msg: { runId: string; checkpoint: Checkpoint }) => {
      if (msg.runId === runId) setCheckpoints((cs) => [msg.checkpoint, ...cs.filter((c) => c.step !== msg.checkpoint.step)]);
    };
    const loadSuperseded = async () => setSuperseded(await trpc.alert.superseded.query({ runId }));
    const onRollback = (msg: { runId: string; toStep: number }) => {
      if (msg.runId !== runId) return;
      feed.reset(runId);
      void loadSuperseded();
    };
    const join = async () => {
      await socket.timeout(5000).emitWithAck(EV.runSubscribe, runId).catch((e) => console.error("joining the run's room failed:", e));
      feed.markJoined(runId);
      // Points sent while the socket was down are in the database, not in the charts.
      if (joins++ > 0) feed.reset(runId);
      const [latest, cps] = await Promise.all([trpc.run.get.query({ id: runId }), trpc.checkpoint.list.query({ runId }), loadSuperseded()]);
      setRun(latest);
      setCheckpoints(cps);
    };
    const onDisconnect = () => feed.markLeft(runId);
    socket.on(EV.metricBatch, onMetrics);
    socket.on(EV.runStatus, onStatus);
    socket.on(EV.checkpointNew, onCheckpoint);
    socket.on(EV.runLog, onLog);
    socket.on(EV.runRollback, onRollback);
    socket.on("connect", join);
    socket.on("disconnect", onDisconnect);
    if (socket.connected) void join();
    return () => {
      socket.emit(EV.runUnsubscribe, runId);
      feed.markLeft(runId);
      socket.off(EV.metricBatch, onMetrics);
      socket.off(EV.runStatus, onStatus);
      socket.off(EV.checkpointNew, onCheckpoint);
      socket.off(EV.runLog, onLog);
      socket.off(EV.runRollback, onRollback);
      socket.off("connect", join);
      socket.off("disconnect", onDisconnect);
    };
  }, [runId]);

  return { run, setRun, checkpoints, keys, superseded, log, feed };
}
