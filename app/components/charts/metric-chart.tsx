"use client";
import {
  Chart, Filler, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip,
  type ChartConfiguration, type ChartDataset, type TooltipItem,
} from "chart.js";
import { useEffect, useRef } from "react";
import { useChartPage } from "./chart-context";
import { chartMax, constantValue, drawnSeries, nearestIndex, type ChartLine, type DrawnSeries } from "./chart-datasets";
import { attachGestures } from "./chart-gestures";
import { logCeil, logFloor, logLabelled, smoothable, unitBounds, unitInterval } from "./chart-kinds";
import { markerPlugin, overlayPlugin, paintMarkPlugin, type OverlaidChart } from "./chart-plugins";
import { isLogScale, X_LABELS, type XAxis } from "./chart-settings";
import { formatX, xAtStep } from "./chart-x";

export type { ChartLine } from "./chart-datasets";

Chart.register(LineController, LinearScale, LogarithmicScale, PointElement, LineElement, Filler, Tooltip, Legend);
// The tooltip hangs from the top beside the page's hover line, on the side with more room, so it
// never hides the point under the line (nor sits at the average of points some of which are NaN).
(Tooltip.positioners as unknown as Record<string, unknown>).atHover = function (this: { chart: Chart }, _items: unknown, at: { x: number; y: number }) {
  const { left, right } = this.chart.chartArea;
  const toRight = at.x < (left + right) / 2;
  return { x: at.x + (toRight ? 12 : -12), y: at.y, xAlign: toRight ? "left" : "right", yAlign: "top" };
};

/** A vertical line at a step, e.g. where an alert was raised. */
export interface Marker {
  step: number;
  label: string;
  color: string;
}

type Dataset = ChartDataset<"line", { x: number; y: number }[]> & { drawn: DrawnSeries };

function fmt(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "NaN";
  if (Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-3)) return v.toExponential(3).replace(/\.?0+e/, "e");
  return String(+v.toPrecision(5));
}

function toDataset(d: DrawnSeries, line: ChartLine): Dataset {
  const data = d.xs.map((x, i) => ({ x, y: d.ys[i] }));
  // A segment across a pause is neither stroked nor filled (chart.js styles each segment on its own).
  const hidden = (ctx: { p0DataIndex: number }) => (d.gaps.has(ctx.p0DataIndex) ? "transparent" : undefined);
  const segment = d.gaps.size ? { borderColor: hidden, backgroundColor: hidden } : undefined;
  const base = { label: line.label, data, drawn: d, pointRadius: 0, pointHoverRadius: 0, spanGaps: false, borderDash: line.dashed ? [6, 4] : [], segment };
  switch (d.role) {
    case "smooth":
      return { ...base, order: 0, borderColor: line.color, backgroundColor: line.color, borderWidth: 1.75, pointHoverRadius: 3.5 };
    case "raw":
      // Beneath an EMA the raw line stays, faint, so smoothing never hides a spike.
      return {
        ...base, order: 1, borderColor: d.main ? line.color : `${line.color}59`, backgroundColor: line.color, borderWidth: d.main ? 1.5 : 1,
        pointRadius: line.dots ? 2.5 : 0, pointHoverRadius: d.main ? 3.5 : 0,
      };
    // The band's edges are drawn too: a one-step spike is a sliver too thin to fill.
    case "band-min":
      return { ...base, order: 2, borderWidth: 1, borderColor: `${line.color}4d` };
    case "band-max":
      return { ...base, order: 2, borderWidth: 1, borderColor: `${line.color}4d`, backgroundColor: `${line.color}26`, fill: "-1" };
  }
}

const labelled = new WeakMap<object, Set<number>>();

/** A log axis ticks at every 1–9 × 10ⁿ; the labels go on the round ones (see logLabelled), so there are enough and they do not pile up. */
function logTick(v: number, index: number, ticks: { value: number }[]): string {
  let marks = labelled.get(ticks);
  if (!marks) labelled.set(ticks, (marks = logLabelled(ticks.map((t) => t.value))));
  return marks.has(index) ? fmt(v) : "";
}

/** A log axis from a labelled 1-2-5 value below the data to one above it (chart.js picks when they would meet). */
function logBounds(positive: readonly number[]): { min: number; max: number } | null {
  if (positive.length === 0) return null;
  const min = logFloor(positive.reduce((a, b) => Math.min(a, b)));
  const max = logCeil(positive.reduce((a, b) => Math.max(a, b)));
  return max > min ? { min, max } : null;
}

/** Every finite value the lines hold, for fitting a bounded axis. */
function allValues(lines: readonly ChartLine[]): number[] {
  return lines.flatMap((l) => l.points.flatMap((p) => [p.min, p.max, p.last])).filter((v): v is number => v !== null && Number.isFinite(v));
}

/** The datasets' x span, to fit the axis to the data rather than to round ticks. */
function dataExtent(sets: readonly DrawnSeries[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of sets) if (s.xs.length) [lo, hi] = [Math.min(lo, s.xs[0]), Math.max(hi, s.xs[s.xs.length - 1])];
  if (lo > hi) return null;
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

/** Re-memoises only when one of `deps` changes identity, whatever their number. */
function useDepsMemo<T>(make: () => T, deps: unknown[]): T {
  const memo = useRef<{ deps: unknown[]; value: T } | null>(null);
  if (!memo.current || memo.current.deps.length !== deps.length || memo.current.deps.some((d, i) => d !== deps[i])) memo.current = { deps, value: make() };
  return memo.current.value;
}

type ChartProps = {
  /** Names the chart in the page's log-scale setting, and says what kind of metric it is (see chart-kinds). */
  id: string;
  title: string;
  /** Beside the title, dimmer: e.g. the names an outside trainer gave the series. */
  subtitle?: string;
  lines: ChartLine[];
  /** Every span is one stored point. */
  raw?: boolean;
  unit?: string;
  note?: string;
  markers?: Marker[];
  loading?: boolean;
  error?: string | null;
};

/**
 * A metric's chart, or while every point of it holds one value (a batch size, a constant lr), a
 * one-line stat in its place that turns into the chart once a value differs.
 */
export function MetricChart(props: ChartProps) {
  const value = constantValue(props.lines);
  if (value === null) return <SeriesChart {...props} />;
  const first = props.lines.find((l) => !l.reference && l.points.length)!.points;
  const steps = `${first[0].fromStep.toLocaleString("en-US")}–${first[first.length - 1].toStep.toLocaleString("en-US")}`;
  const runs = props.lines.filter((l) => !l.reference && !l.dashed).length;
  return (
    <div data-testid={`stat-${props.title}`} data-value={value} data-loading={String(props.loading ?? false)}
      className="order-last col-span-full flex flex-wrap items-baseline gap-x-3 rounded-lg border border-slate-800 bg-slate-900 px-3 py-2 text-sm">
      <p className="text-slate-400">
        <span className="font-medium text-slate-300">{props.title}{props.subtitle && <span className="ml-1.5 font-mono text-xs text-slate-500" data-testid="chart-subtitle">{props.subtitle}</span>}:</span>{" "}
        <span className="font-mono tabular-nums text-slate-100">{fmt(value)}{props.unit ? ` ${props.unit}` : ""}</span>, constant{runs > 1 ? ` in all ${runs} runs` : ""}
      </p>
      <span className="ml-auto text-xs text-slate-500">steps {steps}</span>
      {props.error && <p role="alert" className="w-full text-xs text-rose-300">{props.error}</p>}
    </div>
  );
}

/**
 * A chart of one or more series under the page's settings (smoothing, x-axis, zoom, log scale):
 * a line through each span's last value with a faint min–max band where spans are bucketed,
 * NaN ticks, alert markers, and a tooltip and crosshair shared with the page's other charts.
 */
function SeriesChart({ id, title, subtitle, lines, raw = true, unit, note, markers = [], loading = false, error = null }: ChartProps) {
  const page = useChartPage();
  const { settings } = page;
  // Schedules and evaluations are drawn as logged: their tooltip must agree with the schedule.
  const smooth = smoothable(id) ? settings.smooth : 0;
  const bounded = unitInterval(id) && !isLogScale(settings, id);
  const logY = isLogScale(settings, id);
  const box = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<OverlaidChart | null>(null);
  const hoverX = useRef<number | null>(null);
  const live = useRef({ page, extent: null as [number, number] | null });
  /** The series the chart holds now: set with its datasets, so a hover between a render and its update finds them alike. */
  const shown = useRef<DrawnSeries[]>([]);

  const sets = useDepsMemo(() => drawnSeries(lines, { smooth, smoothBy: settings.smoothBy }, logY), [smooth, settings.smoothBy, logY, ...lines.flatMap((l) => [l.points, l.xMap, l.dots, l.dashed])]);
  const extent = dataExtent(sets);
  const view = settings.range ?? extent;
  const axis: XAxis = settings.x;
  const first = lines.find((l) => l.points.length);
  const xMarkers = markers.flatMap((m) => {
    const x = first ? xAtStep(first.points, first.xMap, m.step) : axis === "step" ? m.step : null;
    return x === null ? [] : [{ x, label: m.label, color: m.color }];
  });
  const values = allValues(lines);
  const positive = values.filter((v) => v > 0);
  const yBounds = bounded ? unitBounds(values) : logY ? logBounds(positive) : null;
  const nanXs = sets.filter((s) => s.role === "raw" && !lines[s.line].dashed).flatMap((s) => s.spans.flatMap((p, i) => (p.nan ? [s.xs[i]] : [])));
  const count = lines.reduce((n, l) => n + l.points.length, 0);
  const empty = count === 0;
  live.current = { page, extent };
  if (!settings.range && extent) page.extent.see(axis, extent[0], extent[1]);

  const config = (): ChartConfiguration<"line", { x: number; y: number }[]> => ({
    type: "line",
    data: { datasets: sets.map((d) => toDataset(d, lines[d.line])) },
    plugins: [markerPlugin, overlayPlugin, paintMarkPlugin],
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      // The page's hover bus drives the tooltip; chart.js handles no pointer events itself.
      events: [],
      scales: {
        // Without data there is nothing to scale: the empty box holds the loading or no-data note alone.
        x: {
          type: "linear", min: view?.[0], max: view?.[1], display: !empty,
          title: { display: true, text: X_LABELS[axis], color: "#94a3b8", padding: 0 },
          ticks: { color: "#94a3b8", maxRotation: 0, includeBounds: false, precision: axis === "step" ? 0 : undefined, callback: (v) => formatX(axis, Number(v), view ? view[1] - view[0] : 0) },
          grid: { color: "#1e293b" },
        },
        y: {
          type: logY ? "logarithmic" : "linear", min: yBounds?.min, max: yBounds?.max, display: !empty,
          // A log axis chooses its own labels (autoSkip would drop some of them) and fades the gridlines between them.
          ticks: { color: "#94a3b8", autoSkip: !logY, callback: (v, i, ticks) => (logY ? logTick(Number(v), i, ticks) : fmt(Number(v))) },
          grid: { color: (c) => (logY && !c.tick?.label ? "#151e30" : "#1e293b") },
        },
      },
      plugins: {
        // Series split into parts (superseded attempts) share a label; the legend shows it once.
        legend: {
          display: lines.length > 1,
          labels: {
            color: "#cbd5e1", boxWidth: 12,
            filter: (item, d) => {
              const ds = d.datasets as Dataset[];
              const mine = ds[item.datasetIndex!];
              return mine.drawn.main && ds.findIndex((o) => o.drawn.main && o.label === mine.label) === item.datasetIndex;
            },
          },
        },
        markers: { list: xMarkers },
        tooltip: {
          position: "atHover" as "average",
          backgroundColor: "rgba(2, 6, 23, 0.8)",
          caretSize: 0,
          caretPadding: 0,
          borderColor: "#334155",
          borderWidth: 1,
          callbacks: {
            title: (items) => tooltipTitle(items, axis),
            label: (c) => tooltipLabel(c, lines, unit),
          },
        },
      },
    },
  });

  useEffect(() => {
    const c = new Chart(canvas.current!, config()) as OverlaidChart;
    c.$overlay = { hoverX: null, selection: null, nanXs };
    chart.current = c;
    const offGestures = attachGestures(c, () => ({
      hover: (x) => live.current.page.hover.emit(x),
      zoom: (range) => live.current.page.change({ range }),
      bounds: () => live.current.page.extent.get(live.current.page.settings.x) ?? live.current.extent,
      zoomed: () => live.current.page.settings.range !== null,
    }));
    const offHover = page.hover.on((x) => {
      hoverX.current = x;
      showHover(c, shown.current, x, box.current!);
    });
    return () => {
      offHover();
      offGestures();
      c.destroy();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    const next = config();
    c.data = next.data;
    c.options = next.options!;
    c.$overlay!.nanXs = nanXs;
    c.update("none");
    shown.current = sets;
    showHover(c, sets, hoverX.current, box.current!);
    const el = box.current!;
    el.dataset.xMin = String(c.scales.x.min);
    el.dataset.xMax = String(c.scales.x.max);
    el.dataset.area = `${Math.round(c.chartArea.left)}-${Math.round(c.chartArea.right)}`;
    el.dataset.yMin = String(c.scales.y.min);
    el.dataset.yMax = String(c.scales.y.max);
    el.dataset.yTicks = c.scales.y.ticks.map((t) => String(t.label ?? "")).filter(Boolean).join("|");
    el.dataset.legend = JSON.stringify(legendItems(c));
  });

  const latest = lines[0]?.points.at(-1);
  const dataRange = first ? `${first.points[0].fromStep}-${first.points[first.points.length - 1].toStep}` : "";
  const smoothed = sets.some((s) => s.role === "smooth");
  return (
    <div ref={box} data-chart="" data-testid={`chart-${title}`} data-points={count} data-markers={markers.length} data-raw={String(raw)} data-range={dataRange}
      data-ymax={chartMax(lines) ?? ""} data-log={String(logY)} data-x-axis={axis} data-pauses={sets[0]?.gaps.size ?? 0} data-smoothing={smoothed ? smooth : 0} data-smoothable={String(smoothable(id))}
      data-datasets={[...new Set(sets.map((s) => s.role))].join(",")} data-loading={String(loading)}
      className="min-w-0 rounded-lg border border-slate-800 bg-slate-900 p-3">
      <div className="mb-1 flex items-center gap-2 text-sm">
        <h3 className="min-w-0 truncate font-medium text-slate-300">{title}</h3>
        {subtitle && <span className="min-w-0 truncate font-mono text-xs text-slate-500" title={subtitle} data-testid="chart-subtitle">{subtitle}</span>}
        {note && <span className="rounded bg-amber-500/15 px-1.5 text-xs text-amber-300">{note}</span>}
        {!raw && <span className="rounded bg-slate-800 px-1.5 text-[10px] uppercase tracking-wide text-slate-400" title="Each point stands for a span of steps: the line follows its last value, the band its min–max">bucketed</span>}
        {loading && <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-indigo-400" title="Loading" />}
        <span className="ml-auto font-mono tabular-nums text-slate-400">
          {latest === undefined ? (loading ? "loading…" : "no data yet") : fmt(latest.last)}
        </span>
        <button type="button" onClick={() => page.toggleLog(id)} aria-pressed={logY} data-testid={`log-${id}`} title="Logarithmic y-axis"
          className={`rounded px-1.5 text-[11px] ring-1 ring-inset ${logY ? "bg-indigo-500/20 text-indigo-200 ring-indigo-400/50" : "text-slate-500 ring-slate-700 hover:text-slate-300"}`}>
          log
        </button>
      </div>
      {error && <p role="alert" className="text-xs text-rose-300">{error}</p>}
      <div className="relative h-56 select-none">
        <canvas ref={canvas} />
        {empty && (
          <div className="pointer-events-none absolute inset-0 flex items-center justify-center" data-testid={loading ? "chart-loading" : "chart-empty"}>
            {loading ? (
              <span className="flex items-center gap-2 rounded bg-slate-800/70 px-3 py-1 text-xs text-slate-300">
                <span className="h-3 w-3 animate-spin rounded-full border-2 border-slate-500 border-t-indigo-300" aria-hidden />loading…
              </span>
            ) : (
              <span className="text-xs text-slate-500">no data yet</span>
            )}
          </div>
        )}
      </div>
    </div>
  );
}

/**
 * Puts the crosshair and the tooltip at x (page units): on each line the point nearest to x, if it
 * is in view. The hovered step lands in data-hover-step, for tests and for reading off the page.
 */
function showHover(c: OverlaidChart, sets: readonly DrawnSeries[], hovered: number | null, el: HTMLElement) {
  const x = hovered !== null && hovered >= c.scales.x.min && hovered <= c.scales.x.max ? hovered : null;
  c.$overlay!.hoverX = x;
  const active: { datasetIndex: number; index: number }[] = [];
  if (x !== null) {
    sets.forEach((s, datasetIndex) => {
      if (!s.main) return;
      const index = nearestIndex(s.xs, x);
      if (index >= 0 && index < (c.data.datasets[datasetIndex]?.data.length ?? 0) && s.xs[index] >= c.scales.x.min && s.xs[index] <= c.scales.x.max)
        active.push({ datasetIndex, index });
    });
  }
  const at = { x: x === null ? 0 : c.scales.x.getPixelForValue(x), y: c.chartArea.top + 4 };
  c.setActiveElements(active);
  c.tooltip?.setActiveElements(active, at);
  const hit = active[0];
  el.dataset.hoverStep = hit ? String(sets[hit.datasetIndex].spans[hit.index].step) : "";
  c.draw();
}

/** What the legend shows, for tests and for reading the chart without its canvas. */
function legendItems(c: Chart<"line">): { label: string; color: string; dashed: boolean }[] {
  if (!c.options.plugins?.legend?.display) return [];
  return (c.legend?.legendItems ?? []).map((i) => ({ label: i.text, color: String(i.strokeStyle ?? i.fillStyle), dashed: (i.lineDash?.length ?? 0) > 0 }));
}

function tooltipTitle(items: TooltipItem<"line">[], axis: XAxis): string {
  const item = items[0];
  if (!item) return "";
  const span = (item.dataset as Dataset).drawn.spans[item.dataIndex];
  const steps = span.count > 1 ? `steps ${span.fromStep.toLocaleString("en-US")}–${span.toStep.toLocaleString("en-US")} (${span.count.toLocaleString("en-US")} points)` : `step ${span.step.toLocaleString("en-US")}`;
  if (axis === "step") return steps;
  return `${X_LABELS[axis]} ${formatX(axis, item.parsed.x!, 0)} · ${steps}`;
}

function tooltipLabel(c: TooltipItem<"line">, lines: readonly ChartLine[], unit?: string): string {
  const d = (c.dataset as Dataset).drawn;
  const span = d.spans[c.dataIndex];
  const u = unit ? ` ${unit}` : "";
  let text = `${lines[d.line].label}: ${fmt(d.role === "smooth" ? d.ys[c.dataIndex] : span.last)}${u}`;
  if (d.role === "smooth") text += `  (raw ${fmt(span.last)})`;
  if (span.count > 1) text += `  min ${fmt(span.min)} · max ${fmt(span.max)}`;
  if (span.nan) text += "  · NaN in span";
  return text;
}
