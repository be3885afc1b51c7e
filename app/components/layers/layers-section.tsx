"use client";
import { useMemo, useState } from "react";
import { describeFirstLayer, type FirstLayer } from "../../../lib/layer-first";
import { heatGrid, scaleOf } from "../../../lib/layer-grid";
import { LAYER_STATS, LOGIT_LOG_Z_KEY, LOGIT_MAX_KEY, parseLayerKey, rowOrder, type LayerRow, type LayerStat } from "../../../lib/layer-stats";
import { useChartPage } from "../charts/chart-context";
import { RunChart } from "../charts/chart-run";
import { ChartSection } from "../charts/chart-section";
import type { XMap } from "../charts/chart-x";
import type { Marker } from "../charts/metric-chart";
import { useChartRange } from "../charts/use-chart-range";
import { LayerHeatmap } from "./layer-heatmap";
import { chunks, RANGE_KEYS } from "./use-first-layers";

const STAT_LABELS: Record<LayerStat, string> = {
  grad_norm: "gradient norm (pre-clip)",
  param_norm: "parameter norm",
  update_ratio: "update ratio ‖Δθ‖/‖θ‖",
  act_rms: "activation RMS (residual stream)",
  act_max: "max |activation|",
  attn_entropy: "attention entropy per head (nats)",
};
/** About one column per two pixels of a wide heatmap. */
const COLUMNS = 400;

/** The run's per-layer statistics as a heatmap per statistic (one shown at a time), live; nothing when the run logs none. */
export function LayersSection({ runId, keys, xMap, markers, firstLayers }: {
  runId: string; keys: string[]; xMap: XMap; markers: Marker[]; firstLayers: Map<number, FirstLayer>;
}) {
  const byStat = useMemo(() => {
    const out = new Map<LayerStat, { key: string; row: LayerRow }[]>();
    for (const key of keys) {
      const p = parseLayerKey(key);
      if (p) out.set(p.stat, [...(out.get(p.stat) ?? []), { key, row: p.row }]);
    }
    for (const rows of out.values()) rows.sort((a, b) => rowOrder(a.row) - rowOrder(b.row));
    return out;
  }, [keys]);
  const stats = LAYER_STATS.filter((s) => byStat.has(s));
  const [picked, setPicked] = useState<LayerStat>("grad_norm");
  if (stats.length === 0) return null;
  const stat = stats.includes(picked) ? picked : stats[0];
  const hasLogits = keys.includes(LOGIT_MAX_KEY) || keys.includes(LOGIT_LOG_Z_KEY);
  return (
    <ChartSection name="layers" title="Layers">
      <div className="min-w-0 rounded-lg border border-slate-800 p-3 md:col-span-2" data-testid="layers-panel">
        <div className="mb-2 flex flex-wrap items-center gap-3">
          <label className="text-xs text-slate-400">
            Statistic{" "}
            <select value={stat} onChange={(e) => setPicked(e.target.value as LayerStat)} data-testid="layer-stat"
              className="ml-1 rounded border border-slate-600 bg-slate-950 px-1 py-0.5 text-xs text-slate-200">
              {stats.map((s) => <option key={s} value={s}>{STAT_LABELS[s]}</option>)}
            </select>
          </label>
          <span className="text-xs text-slate-500">rows: {stat === "attn_entropy" ? "a row per block and head" : "embeddings, blocks, final norm"}; columns: stats steps{stat === "attn_entropy" ? " (a column's lowest value)" : " (a column's highest value)"}</span>
        </div>
        <StatHeatmap runId={runId} stat={stat} rows={byStat.get(stat)!} firstLayers={stat === "grad_norm" ? firstLayers : new Map()} />
      </div>
      {hasLogits && (
        <RunChart runId={runId} xMap={xMap} markers={markers} id="logits" title="logits: largest and mean log Z" specs={[
          { key: LOGIT_MAX_KEY, label: "max logit", color: "#f472b6" },
          { key: LOGIT_LOG_Z_KEY, label: "mean log Z", color: "#38bdf8" },
        ]} />
      )}
    </ChartSection>
  );
}

function StatHeatmap({ runId, stat, rows, firstLayers }: { runId: string; stat: LayerStat; rows: { key: string; row: LayerRow }[]; firstLayers: Map<number, FirstLayer> }) {
  const { feed } = useChartPage();
  const sources = useMemo(() => chunks(rows.map((r) => r.key), RANGE_KEYS).map((ks) => ({ runId, keys: ks, window: null })), [runId, rows]);
  const { data, loading, error } = useChartRange(sources, { feed });
  const series = data[runId] ?? {};
  const grid = useMemo(() => heatGrid(stat, rows.map(({ key, row }) => ({ row, points: series[key]?.points ?? [] })), COLUMNS), [stat, rows, series]);
  const scale = scaleOf(stat, grid);
  const markers = useMemo(() => [...firstLayers.values()].map((f) => ({ row: f.row, step: f.step, label: describeFirstLayer(f) })), [firstLayers]);
  if (error) return <p role="alert" className="text-sm text-rose-300">{error}</p>;
  if (!scale) return <p className="text-sm text-slate-500">{loading ? "Loading…" : "No values yet."}</p>;
  return <LayerHeatmap grid={grid} scale={scale} markers={markers} testId={`layer-heatmap-${stat}`} />;
}
