"use client";
import { useEffect, useRef, useState } from "react";
import { columnOfStep, rampColor, scalePosition, scaleTicks, type ColorScale, type HeatGrid } from "../../../lib/layer-grid";
import { rowLabel, rowName, type LayerRow } from "../../../lib/layer-stats";

const LABEL_WIDTH = 72;
const HEIGHT = 320;
const BELOW_SCALE = "#0f172a";

/** Three significant digits; exponent form for very small or large values (update ratios are ~1e-4). */
export function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return "not finite";
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-2 || a >= 1e4) ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}

/** A layer × step heatmap on a canvas, with its legend, a hover read-out and a marker (the layer that went first at a spike). */
export function LayerHeatmap({ grid, scale, markers, testId }: {
  grid: HeatGrid; scale: ColorScale; markers: { row: LayerRow; step: number; label: string }[]; testId: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);
  // The pointer's place, not a cell: as columns arrive live, the read-out follows what is under it.
  const [pointer, setPointer] = useState<{ x: number; y: number } | null>(null);
  const rowHeight = Math.max(2, Math.min(18, Math.floor(HEIGHT / Math.max(1, grid.rows.length))));
  const height = rowHeight * grid.rows.length;
  const columnWidth = width / Math.max(1, grid.columns.length);
  const showLabels = rowHeight >= 9;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(100, el.clientWidth - LABEL_WIDTH)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const ctx = canvas.current?.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, width, height);
    grid.values.forEach((row, r) =>
      row.forEach((v, c) => {
        if (v === null) return;
        const t = scalePosition(scale, v);
        ctx.fillStyle = t === null ? BELOW_SCALE : rampColor(t);
        // Whole pixels, a hair wider than the column, so neighbouring cells leave no seams.
        ctx.fillRect(Math.floor(c * columnWidth), r * rowHeight, Math.ceil(columnWidth) + 1, rowHeight);
      }));
    for (const m of markers) {
      const r = grid.rows.findIndex((row) => rowName(row) === rowName(m.row));
      const c = columnOfStep(grid, m.step);
      if (r < 0 || c < 0) continue;
      const x = c * columnWidth + columnWidth / 2;
      ctx.strokeStyle = "#f43f5e";
      ctx.lineWidth = 2;
      ctx.strokeRect(Math.max(1, x - Math.max(4, columnWidth / 2)), r * rowHeight + 1, Math.max(8, columnWidth), Math.max(2, rowHeight - 2));
      ctx.fillStyle = "#f43f5e";
      ctx.beginPath();
      ctx.moveTo(x - 5, 0);
      ctx.lineTo(x + 5, 0);
      ctx.lineTo(x, 7);
      ctx.fill();
    }
  }, [grid, scale, markers, width, height, columnWidth, rowHeight]);

  function onMove(e: React.MouseEvent<HTMLCanvasElement>) {
    const rect = e.currentTarget.getBoundingClientRect();
    setPointer({ x: e.clientX - rect.left, y: e.clientY - rect.top });
  }
  const at = pointer && { row: Math.floor(pointer.y / rowHeight), column: Math.floor(pointer.x / columnWidth) };
  const hover = at && at.row >= 0 && at.row < grid.rows.length && at.column >= 0 && at.column < grid.columns.length ? at : null;

  const cell = hover && { row: grid.rows[hover.row], span: grid.columns[hover.column], value: grid.values[hover.row][hover.column] };
  const marker = cell && markers.find((m) => rowName(m.row) === rowName(cell.row) && m.step >= cell.span.fromStep && m.step <= cell.span.toStep);
  const ticks = scaleTicks(scale);
  return (
    <div ref={box} className="min-w-0" data-testid={testId}>
      <div className="flex">
        <div className="shrink-0 font-mono text-[10px] leading-none text-slate-400" style={{ width: LABEL_WIDTH, height }}>
          {grid.rows.map((row, i) => (
            <div key={rowName(row)} data-testid="layer-row" data-row={rowName(row)} className="truncate pr-1 text-right"
              style={{ height: rowHeight, lineHeight: `${rowHeight}px`, visibility: showLabels || i % Math.ceil(9 / rowHeight) === 0 ? "visible" : "hidden" }}>
              {rowName(row)}
            </div>
          ))}
        </div>
        <canvas ref={canvas} width={width} height={height} onMouseMove={onMove} onMouseLeave={() => setPointer(null)}
          className="cursor-crosshair rounded-sm bg-slate-950" data-testid="layer-canvas" data-rows={grid.rows.length} data-columns={grid.columns.length} />
      </div>
      <div className="mt-1 flex justify-between font-mono text-[10px] text-slate-500" style={{ marginLeft: LABEL_WIDTH }}>
        <span>step {grid.columns[0]?.fromStep ?? "–"}</span>
        <span>step {grid.columns.at(-1)?.toStep ?? "–"}</span>
      </div>
      <div className="mt-2 flex flex-wrap items-center gap-3 text-xs text-slate-400">
        <div className="flex items-center gap-2" data-testid="layer-legend">
          <span className="font-mono">{fmtValue(ticks[0])}</span>
          <div className="h-3 w-40 rounded-sm" style={{ background: `linear-gradient(to right, ${[0, 0.2, 0.4, 0.6, 0.8, 1].map(rampColor).join(", ")})` }} />
          <span className="font-mono">{fmtValue(ticks[ticks.length - 1])}</span>
          <span className="text-slate-500">({scale.log ? "log" : "linear"} scale; ticks {ticks.slice(1, -1).map((t) => fmtValue(t)).join(" · ")})</span>
        </div>
        <span className="ml-auto min-h-[1rem] font-mono text-slate-200" data-testid="layer-hover">
          {cell
            ? `${rowLabel(cell.row)} · step ${cell.span.fromStep === cell.span.toStep ? cell.span.fromStep : `${cell.span.fromStep}–${cell.span.toStep}`} · ${cell.value === null ? "no value" : fmtValue(cell.value)}${marker ? ` · ${marker.label}` : ""}`
            : "hover a cell for its layer, step and value"}
        </span>
      </div>
    </div>
  );
}
