import type { OverlaidChart } from "./chart-plugins";

export interface GestureHandlers {
  hover(x: number | null): void;
  /** A new x window (null: the whole run). */
  zoom(range: [number, number] | null): void;
  /** The whole run's x span, when known: zooming out past it resets, panning stops at its ends. */
  bounds(): [number, number] | null;
  zoomed(): boolean;
}

/** Fewer pixels than this is a click, not a drag. */
const MIN_DRAG_PX = 5;

/**
 * Mouse and trackpad on a chart: hover moves the page's crosshair; drag selects an x window;
 * shift-drag, shift-wheel or a sideways scroll pans; ctrl/⌘-wheel or a pinch zooms about the
 * pointer; double-click resets. A plain wheel still scrolls the page.
 */
export function attachGestures(chart: OverlaidChart, handlers: () => GestureHandlers): () => void {
  const canvas = chart.canvas;
  const overlay = () => (chart.$overlay ??= { hoverX: null, selection: null, nanXs: [] });
  const px = (e: MouseEvent) => e.clientX - canvas.getBoundingClientRect().left;
  const py = (e: MouseEvent) => e.clientY - canvas.getBoundingClientRect().top;
  const inArea = (e: MouseEvent) => {
    const a = chart.chartArea;
    return px(e) >= a.left && px(e) <= a.right && py(e) >= a.top && py(e) <= a.bottom;
  };
  const view = (): [number, number] => [chart.scales.x.min, chart.scales.x.max];
  const perPx = () => (chart.scales.x.max - chart.scales.x.min) / Math.max(1, chart.chartArea.right - chart.chartArea.left);

  /** Keeps a window inside the run's span, shifting it back in when panned past an end. */
  function clamp([a, b]: [number, number], shift: boolean): [number, number] | null {
    const bounds = handlers().bounds();
    if (!bounds) return [a, b];
    const [lo, hi] = bounds;
    if (b - a >= hi - lo) return null;
    if (shift) return a < lo ? [lo, lo + b - a] : b > hi ? [hi - (b - a), hi] : [a, b];
    return [Math.max(lo, a), Math.min(hi, b)];
  }

  function setView(range: [number, number] | null) {
    const x = chart.options.scales!.x!;
    x.min = range?.[0];
    x.max = range?.[1];
    chart.update("none");
  }

  let drag: { mode: "select" | "pan"; start: number; view: [number, number]; moved: boolean } | null = null;

  const onDown = (e: MouseEvent) => {
    if (e.button !== 0 || !inArea(e)) return;
    e.preventDefault();
    drag = { mode: e.shiftKey ? "pan" : "select", start: px(e), view: view(), moved: false };
    handlers().hover(null);
    window.addEventListener("mousemove", onDrag);
    window.addEventListener("mouseup", onUp);
  };
  const onDrag = (e: MouseEvent) => {
    if (!drag) return;
    const dx = px(e) - drag.start;
    drag.moved ||= Math.abs(dx) >= MIN_DRAG_PX;
    if (drag.mode === "select") {
      overlay().selection = drag.moved ? [drag.start, px(e)] : null;
      chart.draw();
    } else if (drag.moved) {
      const d = -dx * ((drag.view[1] - drag.view[0]) / Math.max(1, chart.chartArea.right - chart.chartArea.left));
      setView(clamp([drag.view[0] + d, drag.view[1] + d], true));
    }
  };
  const onUp = (e: MouseEvent) => {
    window.removeEventListener("mousemove", onDrag);
    window.removeEventListener("mouseup", onUp);
    const d = drag;
    drag = null;
    overlay().selection = null;
    chart.draw();
    if (!d?.moved) return;
    if (d.mode === "pan") return handlers().zoom(clamp(view(), true));
    const a = chart.scales.x.getValueForPixel(Math.max(chart.chartArea.left, Math.min(d.start, px(e))))!;
    const b = chart.scales.x.getValueForPixel(Math.min(chart.chartArea.right, Math.max(d.start, px(e))))!;
    if (b > a) handlers().zoom(clamp([a, b], false));
  };
  const onMove = (e: MouseEvent) => {
    if (drag) return;
    handlers().hover(inArea(e) ? chart.scales.x.getValueForPixel(px(e))! : null);
  };
  const onLeave = () => !drag && handlers().hover(null);
  const onWheel = (e: WheelEvent) => {
    if (!inArea(e)) return;
    const [a, b] = view();
    // Browsers report a trackpad pinch as a wheel event with ctrlKey set.
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      const at = chart.scales.x.getValueForPixel(px(e))!;
      const f = Math.exp(Math.max(-50, Math.min(50, e.deltaY)) * 0.01);
      return handlers().zoom(clamp([at - (at - a) * f, at + (b - at) * f], false));
    }
    const sideways = Math.abs(e.deltaX) > Math.abs(e.deltaY);
    if (!(e.shiftKey || sideways) || !handlers().zoomed()) return;
    e.preventDefault();
    const d = (sideways ? e.deltaX : e.deltaY) * perPx();
    handlers().zoom(clamp([a + d, b + d], true));
  };
  const onDouble = () => handlers().zoom(null);

  canvas.addEventListener("mousedown", onDown);
  canvas.addEventListener("mousemove", onMove);
  canvas.addEventListener("mouseleave", onLeave);
  canvas.addEventListener("wheel", onWheel, { passive: false });
  canvas.addEventListener("dblclick", onDouble);
  return () => {
    canvas.removeEventListener("mousedown", onDown);
    canvas.removeEventListener("mousemove", onMove);
    canvas.removeEventListener("mouseleave", onLeave);
    canvas.removeEventListener("wheel", onWheel);
    canvas.removeEventListener("dblclick", onDouble);
    window.removeEventListener("mousemove", onDrag);
    window.removeEventListener("mouseup", onUp);
  };
}
