"use client";
import { useEffect, useRef, useState } from "react";
import { FIRST_LAYER_BASELINE, FIRST_LAYER_WINDOW, firstLayer, gradNormRows, SPIKE_ALERTS, type FirstLayer } from "../../../lib/layer-first";
import { parseLayerKey } from "../../../lib/layer-stats";
import { trpc } from "../../lib/trpc";
import type { AlertRow } from "../alerts/use-alerts";

/** metric.range takes at most this many keys a query. */
export const RANGE_KEYS = 50;
/** An alert can reach the page before the stats points of its step are written: look again a few times. */
const RETRIES = 3;
const RETRY_MS = 2000;

export const chunks = <T,>(xs: readonly T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, (i + 1) * n));

/**
 * For each spike alert of the run, the layer whose gradient norm went first (lib/layer-first.ts),
 * from the raw grad_norm points of the stats steps before it; keyed by alert id.
 */
export function useFirstLayers(runId: string, alerts: readonly AlertRow[], keys: readonly string[], interval: number): Map<number, FirstLayer> {
  const [found, setFound] = useState(new Map<number, FirstLayer>());
  const tried = useRef(new Map<number, number>());
  const gradKeys = keys.filter((k) => {
    const p = parseLayerKey(k);
    return p?.stat === "grad_norm" && (typeof p.row === "string" || p.row.head === undefined);
  });
  const spikes = alerts.filter((a) => SPIKE_ALERTS.includes(a.type));
  const what = JSON.stringify([gradKeys, spikes.map((a) => a.id)]);

  useEffect(() => {
    if (gradKeys.length === 0 || interval <= 0) return;
    let cancelled = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const look = async (a: AlertRow) => {
      const fromStep = Math.max(0, a.step - (FIRST_LAYER_WINDOW + FIRST_LAYER_BASELINE + 1) * interval);
      const parts = await Promise.all(chunks(gradKeys, RANGE_KEYS).map((ks) => trpc.metric.range.query({ runId, keys: ks, buckets: 5000, fromStep, toStep: a.step })));
      const byKey = parts.flatMap((p) => Object.entries(p)).map(([k, s]) => [k, s.points.map((q) => ({ step: q.step, value: q.nan ? null : q.max }))] as [string, { step: number; value: number | null }[]]);
      const f = firstLayer(gradNormRows(byKey), a.step);
      if (cancelled) return;
      const n = (tried.current.get(a.id) ?? 0) + 1;
      tried.current.set(a.id, n);
      if (f) setFound((m) => new Map(m).set(a.id, f));
      else if (n < RETRIES) timers.push(setTimeout(() => void look(a).catch(() => {}), RETRY_MS));
    };
    for (const a of spikes) if (!tried.current.has(a.id)) void look(a).catch(() => tried.current.delete(a.id));
    return () => {
      cancelled = true;
      timers.forEach(clearTimeout);
    };
    // `what` stands for the grad keys and the spike alerts.
  }, [runId, what, interval]);

  return found;
}
