import type { Chart, ChartType, Plugin } from "chart.js";

/** A vertical line at an x, e.g. where an alert was raised. */
export interface XMarker {
  x: number;
  label: string;
  color: string;
}

/** What the overlay draws besides the data: the hovered x, and a drag selection or pan in pixels. */
export interface Overlay {
  hoverX: number | null;
  selection: [number, number] | null;
  /** x values of spans that hold a NaN or an Infinity. */
  nanXs: number[];
}

declare module "chart.js" {
  interface PluginOptionsByType<TType extends ChartType> {
    markers?: { list: XMarker[] };
  }
}

/** The overlay's state lives on the chart, not in its options, so a hover or a drag redraws without an update. */
export type OverlaidChart = Chart<"line"> & { $overlay?: Overlay };

/** Draws the markers over the data, each labelled at the top; nearby labels are staggered over three rows. */
export const markerPlugin: Plugin<"line", { list: XMarker[] }> = {
  id: "markers",
  afterDatasetsDraw(chart, _args, options) {
    const { ctx, chartArea: area, scales: { x } } = chart;
    ctx.save();
    ctx.font = "10px ui-sans-serif, system-ui, sans-serif";
    ctx.textBaseline = "top";
    options.list.forEach((m, i) => {
      const px = x.getPixelForValue(m.x);
      if (!(px >= area.left && px <= area.right)) return;
      ctx.strokeStyle = ctx.fillStyle = m.color;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(px, area.top);
      ctx.lineTo(px, area.bottom);
      ctx.stroke();
      const flip = px + 4 + ctx.measureText(m.label).width > area.right;
      ctx.textAlign = flip ? "right" : "left";
      ctx.fillText(m.label, px + (flip ? -3 : 3), area.top + 2 + (i % 3) * 12);
    });
    ctx.restore();
  },
};

/**
 * NaN ticks (a red mark on the top edge where a span holds a NaN or Infinity, which the line can
 * only show as a gap), the crosshair at the hovered x, and the drag-to-zoom selection.
 */
export const overlayPlugin: Plugin<"line"> = {
  id: "overlay",
  afterDatasetsDraw(chart: OverlaidChart) {
    const o = chart.$overlay;
    if (!o) return;
    const { ctx, chartArea: area, scales: { x } } = chart;
    ctx.save();
    ctx.fillStyle = "#f43f5e";
    for (const v of o.nanXs) {
      const px = x.getPixelForValue(v);
      if (px >= area.left - 1 && px <= area.right + 1) ctx.fillRect(Math.round(px) - 1, area.top, 2, 7);
    }
    if (o.hoverX !== null) {
      const px = x.getPixelForValue(o.hoverX);
      if (px >= area.left && px <= area.right) {
        ctx.strokeStyle = "#94a3b8";
        ctx.globalAlpha = 0.6;
        ctx.beginPath();
        ctx.moveTo(Math.round(px) + 0.5, area.top);
        ctx.lineTo(Math.round(px) + 0.5, area.bottom);
        ctx.stroke();
        ctx.globalAlpha = 1;
      }
    }
    if (o.selection) {
      const [a, b] = o.selection;
      const left = Math.max(area.left, Math.min(a, b));
      const right = Math.min(area.right, Math.max(a, b));
      ctx.fillStyle = "rgba(129, 140, 248, 0.15)";
      ctx.strokeStyle = "rgba(129, 140, 248, 0.7)";
      ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
      ctx.strokeRect(left + 0.5, area.top + 0.5, right - left - 1, area.bottom - area.top - 1);
    }
    ctx.restore();
  },
};

/** Marks the first chart drawn with data on the page, for measuring time to the first chart. */
export const paintMarkPlugin: Plugin<"line"> = {
  id: "paintMark",
  afterDraw(chart: Chart<"line">) {
    if (!chart.data.datasets.some((d) => d.data.length > 0)) return;
    const el = chart.canvas.closest<HTMLElement>("[data-chart]");
    if (!el || el.dataset.painted) return;
    el.dataset.painted = "true";
    if (performance.getEntriesByName("chart-painted").length === 0) performance.mark("chart-painted");
  },
};
