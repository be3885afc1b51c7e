import { MAX_COMPARED_RUNS } from "../../lib/run-colors";

export const X_AXES = ["step", "tokens", "time"] as const;
export type XAxis = (typeof X_AXES)[number];

/** Everything the compare page shows is in its URL, so a copied link reproduces the view. */
export interface CompareParams {
  runs: string[];
  /** Charts shown, in page order; null = every metric the runs have. */
  metrics: string[] | null;
  /** Metrics drawn on a log y-axis; null = the default (see logByDefault). */
  log: string[] | null;
  /** EMA weight for dense series, 0 (off) to 0.99. */
  smooth: number;
  x: XAxis;
  hideIdentical: boolean;
}

/** Losses and perplexities span orders of magnitude early in training. */
export const logByDefault = (metric: string) => metric === "loss" || metric === "val_loss" || metric.endsWith("/perplexity");

export const isLogScale = (p: CompareParams, metric: string) => (p.log ? p.log.includes(metric) : logByDefault(metric));

type Params = Record<string, string | string[] | undefined> | URLSearchParams;

function get(p: Params, key: string): string | undefined {
  if (p instanceof URLSearchParams) return p.get(key) ?? undefined;
  const v = p[key];
  return Array.isArray(v) ? v[0] : v;
}

const list = (v: string | undefined) => [...new Set((v ?? "").split(",").map((s) => s.trim()).filter(Boolean))];

/** Reads the URL; ids past the 20th are returned in `dropped` so the page can say so. */
export function parseCompareParams(p: Params): { params: CompareParams; dropped: string[] } {
  const ids = list(get(p, "runs"));
  const metrics = get(p, "metrics");
  const log = get(p, "log");
  const smooth = Number(get(p, "smooth") ?? 0);
  const x = get(p, "x");
  return {
    params: {
      runs: ids.slice(0, MAX_COMPARED_RUNS),
      metrics: metrics === undefined ? null : list(metrics),
      log: log === undefined ? null : list(log),
      smooth: Number.isFinite(smooth) ? Math.min(0.99, Math.max(0, smooth)) : 0,
      x: X_AXES.includes(x as XAxis) ? (x as XAxis) : "step",
      hideIdentical: get(p, "identical") !== "show",
    },
    dropped: ids.slice(MAX_COMPARED_RUNS),
  };
}

/** The page's URL for these settings; defaults are left out to keep links short. */
export function compareHref(p: Partial<CompareParams> & { runs: string[] }): string {
  const q = new URLSearchParams({ runs: p.runs.join(",") });
  if (p.metrics) q.set("metrics", p.metrics.join(","));
  if (p.log) q.set("log", p.log.join(","));
  if (p.smooth) q.set("smooth", String(p.smooth));
  if (p.x && p.x !== "step") q.set("x", p.x);
  if (p.hideIdentical === false) q.set("identical", "show");
  // Commas stay readable in a copied link.
  return `/compare?${q.toString().replaceAll("%2C", ",")}`;
}
