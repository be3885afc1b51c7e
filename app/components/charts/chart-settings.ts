/** How every chart of a page is drawn; all of it lives in the page's URL, so a view can be shared. */
export const X_AXES = ["step", "tokens", "wall", "relative"] as const;
export type XAxis = (typeof X_AXES)[number];
export const X_LABELS: Record<XAxis, string> = { step: "step", tokens: "tokens seen", wall: "wall time", relative: "relative time" };

/** TensorBoard's default weight. */
export const DEFAULT_SMOOTHING = 0.6;
export const MAX_SMOOTHING = 0.999;

export interface ChartSettings {
  /** EMA weight for dense series, 0 (off) to 0.999. */
  smooth: number;
  /** "points": TensorBoard's EMA over the drawn points; "steps": weighted by the step gaps, for uneven logging. */
  smoothBy: "points" | "steps";
  x: XAxis;
  /** Chart ids on a log y-axis; null = the defaults (see logByDefault). */
  log: string[] | null;
  /** The zoomed x window, in the x-axis' units; null = the whole run. */
  range: [number, number] | null;
  /** Sections folded away. */
  collapsed: string[];
}

export const DEFAULT_SETTINGS: ChartSettings = { smooth: DEFAULT_SMOOTHING, smoothBy: "points", x: "step", log: null, range: null, collapsed: [] };

/** Losses and perplexities span orders of magnitude early in training. */
export const logByDefault = (id: string) => id === "loss" || id === "val_loss" || id === "val_ppl" || id.endsWith("/perplexity");

export const isLogScale = (s: Pick<ChartSettings, "log">, id: string) => (s.log ? s.log.includes(id) : logByDefault(id));

export type UrlParams = Record<string, string | string[] | undefined> | URLSearchParams;

export function param(p: UrlParams, key: string): string | undefined {
  if (p instanceof URLSearchParams) return p.get(key) ?? undefined;
  const v = p[key];
  return Array.isArray(v) ? v[0] : v;
}

export const list = (v: string | undefined) => [...new Set((v ?? "").split(",").map((s) => s.trim()).filter(Boolean))];

/** "100-250" → [100, 250]; anything else (one number, reversed, not numbers) → null. */
function parseRange(v: string | undefined): [number, number] | null {
  const m = v?.match(/^([^-]+)-(.+)$/);
  if (!m) return null;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return Number.isFinite(a) && Number.isFinite(b) && a < b ? [a, b] : null;
}

export function parseChartSettings(p: UrlParams): ChartSettings {
  const smooth = Number(param(p, "smooth") ?? DEFAULT_SMOOTHING);
  const log = param(p, "log");
  let x = param(p, "x");
  if (x === "time") x = "relative"; // the compare page's older name
  return {
    smooth: Number.isFinite(smooth) ? Math.min(MAX_SMOOTHING, Math.max(0, smooth)) : DEFAULT_SMOOTHING,
    smoothBy: param(p, "smoothing") === "steps" ? "steps" : "points",
    x: X_AXES.includes(x as XAxis) ? (x as XAxis) : "step",
    log: log === undefined ? null : list(log),
    range: parseRange(param(p, "range")),
    collapsed: list(param(p, "collapsed")),
  };
}

/** Writes the settings that differ from the defaults into `q`. */
export function writeChartSettings(q: URLSearchParams, s: Partial<ChartSettings>) {
  if (s.log) q.set("log", s.log.join(","));
  if (s.smooth !== undefined && s.smooth !== DEFAULT_SMOOTHING) q.set("smooth", String(s.smooth));
  if (s.smoothBy === "steps") q.set("smoothing", "steps");
  if (s.x && s.x !== "step") q.set("x", s.x);
  if (s.range) q.set("range", `${s.range[0]}-${s.range[1]}`);
  if (s.collapsed?.length) q.set("collapsed", s.collapsed.join(","));
}

/** A query string with commas left readable, for a link someone will paste. */
export const readableQuery = (q: URLSearchParams) => q.toString().replaceAll("%2C", ",").replaceAll("%2F", "/");
