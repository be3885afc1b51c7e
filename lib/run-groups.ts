import type { SpanPoint } from "./downsample";

/** How the compare page folds runs into groups: none, the same config but the seed, project, or labels. */
export const GROUP_BY = ["none", "seed", "project", "labels"] as const;
export type GroupBy = (typeof GROUP_BY)[number];

interface Groupable {
  id: string;
  name: string;
  project: string | null;
  labels: string[];
  config: Record<string, unknown>;
}

/** Fields that differ between repeats of one experiment: left out when grouping by "same config but the seed". */
const REPEAT_FIELDS = new Set(["name", "seed", "alertWebhook", "faults", "queue", "backend", "workers"]);

export function groupKey(run: Groupable, by: GroupBy): string {
  switch (by) {
    case "none":
      return run.id;
    case "project":
      return run.project ?? "(no project)";
    case "labels":
      return run.labels.length ? [...run.labels].sort().join(", ") : "(no labels)";
    case "seed":
      return JSON.stringify(Object.entries(run.config).filter(([k]) => !REPEAT_FIELDS.has(k)).sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** Runs in groups, in the order their first run comes; a group's label names it or its first run. */
export function groupRuns<R extends Groupable>(runs: R[], by: GroupBy): { key: string; label: string; runs: R[] }[] {
  const groups = new Map<string, R[]>();
  for (const r of runs) {
    const k = groupKey(r, by);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups].map(([key, members]) => ({
    key, runs: members,
    label: by === "project" || by === "labels" ? key : members.length > 1 ? `${members[0].name} ×${members.length}` : members[0].name,
  }));
}

/**
 * The mean of several runs' series at the steps of the densest one, each run linearly
 * interpolated between its own points and left out outside its range; the band is the min–max
 * across runs. A step where any run holds a NaN is marked NaN, as its chart would show it.
 */
export function meanSeries(series: SpanPoint[][]): SpanPoint[] {
  const live = series.filter((s) => s.length > 0);
  if (live.length === 0) return [];
  const grid = live.reduce((a, b) => (b.length > a.length ? b : a));
  return grid.flatMap((g) => {
    const values: number[] = [];
    let nan = false;
    let wallTime = 0;
    for (const s of live) {
      const v = valueAt(s, g.step);
      if (v === undefined) continue;
      if (v === null) nan = true;
      else values.push(v.value), (wallTime = Math.max(wallTime, v.wallTime));
    }
    if (values.length === 0 && !nan) return [];
    const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
    return [{
      step: g.step, last: mean, min: values.length ? Math.min(...values) : null, max: values.length ? Math.max(...values) : null,
      fromStep: g.fromStep, toStep: g.toStep, wallTime: wallTime || g.wallTime, count: values.length, nan,
    }];
  });
}

/** undefined: outside the run's steps; null: a NaN there. */
function valueAt(s: SpanPoint[], step: number): { value: number; wallTime: number } | null | undefined {
  if (step < s[0].step || step > s[s.length - 1].step) return undefined;
  let lo = 0;
  let hi = s.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (s[mid].step <= step) lo = mid;
    else hi = mid;
  }
  const a = s[lo];
  const b = s[hi];
  const at = a.step === step ? a : b.step === step ? b : null;
  if (at) return at.last === null || at.nan && at.last === null ? null : { value: at.last, wallTime: at.wallTime };
  if (a.last === null || b.last === null) return null;
  const t = (step - a.step) / (b.step - a.step);
  return { value: a.last + t * (b.last - a.last), wallTime: a.wallTime + t * (b.wallTime - a.wallTime) };
}
