"use client";
import { useEffect, useRef, useState } from "react";
import { EV, type MetricPoint } from "../../../lib/protocol";
import type { RouterOutputs } from "../../../server/trpc/router";
import { liveSocket } from "../../lib/socket";
import { trpc } from "../../lib/trpc";

export type OutsideDetail = RouterOutputs["outside"]["detail"];

/**
 * An outside run's params, tags, metric names and roles, kept current: the live feed carries stored
 * keys, so a key the page has no original name for makes it load the detail again. `lastLiveAt`
 * is when a point last arrived (the server writes lastLogAt only every few seconds).
 */
export function useOutsideDetail(runId: string, initial: OutsideDetail) {
  const [detail, setDetail] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [lastLiveAt, setLastLiveAt] = useState<number | null>(null);
  const names = useRef(initial.metricNames);
  const loading = useRef<Promise<void> | null>(null);
  const again = useRef(false);

  const refresh = (): Promise<void> => {
    if (loading.current) {
      again.current = true;
      return loading.current;
    }
    loading.current = (async () => {
      try {
        do {
          again.current = false;
          const next = await trpc.outside.detail.query({ runId });
          names.current = next.metricNames;
          setDetail(next);
          setError(null);
        } while (again.current);
      } catch (e) {
        setError(`loading the run's metric names failed: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        loading.current = null;
      }
    })();
    return loading.current;
  };

  useEffect(() => {
    const socket = liveSocket();
    const onMetrics = (msg: { runId: string; points: MetricPoint[] }) => {
      if (msg.runId !== runId || msg.points.length === 0) return;
      setLastLiveAt(Date.now());
      if (msg.points.some((p) => !Object.hasOwn(names.current, p.key))) void refresh();
    };
    socket.on(EV.metricBatch, onMetrics);
    return () => {
      socket.off(EV.metricBatch, onMetrics);
    };
  }, [runId]);

  return { detail, refresh, error, lastLiveAt };
}
