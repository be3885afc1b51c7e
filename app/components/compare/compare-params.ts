import { MAX_COMPARED_RUNS } from "../../../lib/run-colors";
import { GROUP_BY, type GroupBy } from "../../../lib/run-groups";
import { list, param, parseChartSettings, readableQuery, writeChartSettings, type ChartSettings, type UrlParams } from "../charts/chart-settings";

export { isLogScale, logByDefault, X_AXES, type XAxis } from "../charts/chart-settings";

/** Everything the compare page shows is in its URL, so a copied link reproduces the view. */
export interface CompareParams extends ChartSettings {
  runs: string[];
  /** Charts shown, in page order; null = every metric the runs have. */
  metrics: string[] | null;
  hideIdentical: boolean;
  /** Runs folded into groups, each drawn as its mean with a min–max band. */
  group: GroupBy;
}

/** Reads the URL; ids past the 20th are returned in `dropped` so the page can say so. */
export function parseCompareParams(p: UrlParams): { params: CompareParams; dropped: string[] } {
  const ids = list(param(p, "runs"));
  const metrics = param(p, "metrics");
  return {
    params: {
      runs: ids.slice(0, MAX_COMPARED_RUNS),
      metrics: metrics === undefined ? null : list(metrics),
      ...parseChartSettings(p),
      hideIdentical: param(p, "identical") !== "show",
      group: (GROUP_BY as readonly string[]).includes(param(p, "group") ?? "") ? (param(p, "group") as GroupBy) : "none",
    },
    dropped: ids.slice(MAX_COMPARED_RUNS),
  };
}

/** The page's URL for these settings; defaults are left out to keep links short. */
export function compareHref(p: Partial<CompareParams> & { runs: string[] }): string {
  const q = new URLSearchParams({ runs: p.runs.join(",") });
  if (p.metrics) q.set("metrics", p.metrics.join(","));
  writeChartSettings(q, p);
  if (p.hideIdentical === false) q.set("identical", "show");
  if (p.group && p.group !== "none") q.set("group", p.group);
  return `/compare?${readableQuery(q)}`;
}
