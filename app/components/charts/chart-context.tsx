"use client";
import { createContext, useContext, useEffect, useMemo, useRef, useState } from "react";
import { replaceUrlSoon } from "../common/navigation";
import type { LiveFeed } from "./chart-live-feed";
import { isLogScale, readableQuery, writeChartSettings, type ChartSettings, type XAxis } from "./chart-settings";

/** The hovered x, shared by every chart of a page so their tooltips and crosshairs move together. */
export class HoverBus {
  private listeners = new Set<(x: number | null) => void>();
  private frame = 0;
  private next: number | null = null;

  /** At most once a frame: a mouse move redraws every chart of the page. */
  emit(x: number | null) {
    this.next = x;
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0;
      for (const fn of this.listeners) fn(this.next);
    });
  }

  on(fn: (x: number | null) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** The x span the charts have shown at full range, which bounds zooming out and panning. */
export class XExtent {
  axis: XAxis | null = null;
  min = Infinity;
  max = -Infinity;

  see(axis: XAxis, min: number, max: number) {
    if (axis !== this.axis) Object.assign(this, { axis, min: Infinity, max: -Infinity });
    this.min = Math.min(this.min, min);
    this.max = Math.max(this.max, max);
  }

  get(axis: XAxis): [number, number] | null {
    return axis === this.axis && this.min < this.max ? [this.min, this.max] : null;
  }
}

export interface ChartPage {
  settings: ChartSettings;
  change: (c: Partial<ChartSettings>) => void;
  toggleLog: (id: string) => void;
  hover: HoverBus;
  extent: XExtent;
  feed: LiveFeed | null;
  /** The benchmark's baseline: every raw point, zoom on the client only. */
  naive: boolean;
}

const Context = createContext<ChartPage | null>(null);

export function useChartPage(): ChartPage {
  const page = useContext(Context);
  if (!page) throw new Error("a chart needs a ChartPageProvider above it");
  return page;
}

/** `chartIds`: every chart that can be on the page, so the first log toggle keeps the others' defaults. */
export function ChartPageProvider({ settings, onChange, chartIds, feed, naive = false, children }: {
  settings: ChartSettings; onChange: (c: Partial<ChartSettings>) => void; chartIds: string[]; feed: LiveFeed | null; naive?: boolean; children: React.ReactNode;
}) {
  const hover = useRef(new HoverBus()).current;
  const extent = useRef(new XExtent()).current;
  const ids = chartIds.join(",");
  const page = useMemo<ChartPage>(() => ({
    settings, change: onChange, hover, extent, feed, naive,
    toggleLog: (id) => {
      const on = chartIds.filter((c) => c !== id && isLogScale(settings, c));
      onChange({ log: isLogScale(settings, id) ? on : [...on, id] });
    },
  }), [settings, onChange, ids, feed, naive]);
  return <Context.Provider value={page}>{children}</Context.Provider>;
}

/**
 * A page's chart settings kept in its URL: the other query parameters stay, and the URL follows a
 * slider once it settles rather than on every change.
 */
export function useChartSettingsInUrl(initial: ChartSettings) {
  const [settings, setSettings] = useState(initial);
  const change = useMemo(() => (c: Partial<ChartSettings>) => setSettings((s) => ({ ...s, ...c })), []);
  useEffect(() => replaceUrlSoon(() => {
    const q = new URLSearchParams(window.location.search);
    for (const k of ["log", "smooth", "smoothing", "x", "range", "collapsed"]) q.delete(k);
    writeChartSettings(q, settings);
    const search = readableQuery(q);
    return `${window.location.pathname}${search ? `?${search}` : ""}`;
  }), [settings]);
  return [settings, change] as const;
}
