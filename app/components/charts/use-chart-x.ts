"use client";
import { useEffect, useMemo, useState } from "react";
import { trpc } from "../../lib/trpc";
import type { XAxis } from "./chart-settings";
import { tokenAnchors, xMap, type TokenAnchors, type XMap } from "./chart-x";
import { BUDGET } from "./use-chart-range";

/** What a run's x-axis needs to know beyond its points. */
export interface XRun {
  id: string;
  batchSize: number;
  contextLength: number;
  /** Wall time of its first point, when the page already has it. */
  startTime?: number | null;
}

/**
 * Each run's x-axis map. Tokens seen come from the logged batch sizes (a range query of
 * batch_size, so a batch ramp counts), relative time from the run's first point; each is loaded
 * when its axis is first picked. Until then tokens use the configured batch.
 */
export function useXMaps(runs: XRun[], axis: XAxis): Record<string, XMap> {
  const [anchors, setAnchors] = useState<Record<string, TokenAnchors>>({});
  const [origins, setOrigins] = useState<Record<string, number | null>>(() => Object.fromEntries(runs.flatMap((r) => (r.startTime === undefined ? [] : [[r.id, r.startTime]]))));
  const ids = runs.map((r) => r.id).join(",");

  useEffect(() => {
    if (axis !== "tokens") return;
    const missing = runs.filter((r) => !anchors[r.id]);
    if (missing.length === 0) return;
    void Promise.all(missing.map((r) => trpc.metric.range.query({ runId: r.id, keys: ["batch_size"], buckets: BUDGET }))).then(
      (res) => setAnchors((a) => ({ ...a, ...Object.fromEntries(missing.map((r, i) => [r.id, tokenAnchors(res[i].batch_size.points, r.contextLength, r.batchSize)])) })),
      (e) => console.error("loading batch sizes for tokens seen failed:", e),
    );
  }, [axis, ids]);

  useEffect(() => {
    if (axis !== "relative") return;
    const missing = runs.filter((r) => !(r.id in origins));
    if (missing.length === 0) return;
    void Promise.all(missing.map((r) => trpc.metric.keys.query({ runId: r.id }))).then(
      (res) => setOrigins((o) => ({ ...o, ...Object.fromEntries(missing.map((r, i) => [r.id, res[i].startTime])) })),
      (e) => console.error("loading run start times failed:", e),
    );
  }, [axis, ids]);

  return useMemo(() => Object.fromEntries(runs.map((r) => [
    r.id,
    xMap(axis, { origin: origins[r.id], anchors: anchors[r.id] ?? tokenAnchors([], r.contextLength, r.batchSize) }),
  ])), [axis, ids, anchors, origins]);
}
