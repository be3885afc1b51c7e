"use client";
import Link from "next/link";
import { useCallback, useEffect, useMemo, useState } from "react";
import { runColors } from "../../../lib/run-colors";
import { groupRuns } from "../../../lib/run-groups";
import { ChartPageProvider } from "../charts/chart-context";
import type { ChartSettings } from "../charts/chart-settings";
import { useXMaps } from "../charts/use-chart-x";
import { replaceUrlSoon } from "../common/navigation";
import { SourceBadge } from "../common/source-badge";
import { StatusBadge } from "../common/status-badge";
import { CompareChart, type GroupLine, type RunLine } from "./compare-chart";
import { CompareConfigDiff } from "./compare-config-diff";
import { CompareControls } from "./compare-controls";
import { useCompareLive, type Histories, type Run, type SummaryRow } from "./compare-live";
import { metricTitle } from "./compare-metrics";
import { compareHref, type CompareParams } from "./compare-params";
import { CompareSummary } from "./compare-summary";
import { ScalingPanel } from "./scaling-panel";

/** Runs often share a name (a re-run); the legend needs them apart. */
function uniqueLabels(runs: Run[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.name, (count.get(r.name) ?? 0) + 1);
  return new Map(runs.map((r) => [r.id, count.get(r.name)! > 1 ? `${r.name} (${r.id.slice(-4)})` : r.name]));
}

export function CompareView(props: {
  runs: Run[]; histories: Histories; summary: SummaryRow[]; keys: string[]; params: CompareParams; missing: string[]; dropped: string[];
}) {
  const { runs, summary, error, feed, withData } = useCompareLive({ runs: props.runs, histories: props.histories, summary: props.summary, keys: props.keys });
  const [params, setParams] = useState(props.params);
  const [removed, setRemoved] = useState<string[]>([]);
  const [copied, setCopied] = useState<string | null>(null);
  const shownRuns = runs.filter((r) => !removed.includes(r.id));
  const ids = shownRuns.map((r) => r.id);
  const colors = useMemo(() => runColors(ids), [ids.join(",")]);
  const labels = uniqueLabels(shownRuns);
  const href = compareHref({ ...params, runs: ids });

  // A slider sends many changes a second; the URL follows once it settles.
  useEffect(() => replaceUrlSoon(() => href), [href]);

  // Benchmark charts only for metrics some run has logged; the base metrics always, to show "no data yet".
  const available = props.keys.filter((k) => !k.startsWith("eval/") || withData.has(k));
  const charts = (params.metrics ?? available).filter((m) => available.includes(m));
  const change = useCallback((c: Partial<CompareParams>) => setParams((p) => ({ ...p, ...c })), []);
  const changeSettings = useCallback((c: Partial<ChartSettings>) => change(c), [change]);
  const xMaps = useXMaps(shownRuns.map((r) => ({ id: r.id, batchSize: r.config.batchSize, contextLength: r.config.contextLength })), params.x);

  async function copyLink() {
    const url = new URL(href, window.location.origin).toString();
    try {
      await navigator.clipboard.writeText(url);
      setCopied("Link copied");
    } catch {
      setCopied(url);
    }
  }

  const lines: RunLine[] = shownRuns.map((r) => ({ runId: r.id, label: labels.get(r.id)!, color: colors.get(r.id)!, xMap: xMaps[r.id] }));
  const groups: GroupLine[] | undefined = params.group === "none" ? undefined
    : groupRuns(shownRuns, params.group).map((g) => ({ label: g.label, color: colors.get(g.runs[0].id)!, runIds: g.runs.map((r) => r.id) }));
  // An outside run's series of a role is its trainer's own metric: the legend names it.
  const linesFor = (metric: string): RunLine[] => lines.map((l, i) => {
    const name = shownRuns[i].source !== "trainer" ? (shownRuns[i].keyRoles as Record<string, string | undefined>)[metric] : undefined;
    return name ? { ...l, label: `${l.label} · ${name}` } : l;
  });
  const ownRuns = shownRuns.filter((r) => r.source === "trainer");
  const outsideIds = new Set(shownRuns.filter((r) => r.source !== "trainer").map((r) => r.id));

  return (
    <div className="space-y-5" data-testid="compare-view" data-runs={ids.join(",")}>
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-xl font-semibold text-slate-100">Compare runs</h1>
        <span className="text-sm text-slate-400">{shownRuns.length} selected</span>
        <div className="ml-auto flex items-center gap-2">
          {copied && <span className="max-w-md truncate text-xs text-slate-400" data-testid="copy-status">{copied}</span>}
          <button type="button" onClick={copyLink} data-testid="copy-link"
            className="rounded-md border border-slate-600 px-3 py-1.5 text-sm text-slate-200 hover:bg-slate-800">Copy link</button>
          <Link href="/" className="rounded-md border border-slate-600 px-3 py-1.5 text-sm text-slate-200 hover:bg-slate-800">Pick runs</Link>
        </div>
      </div>

      <ul className="flex flex-wrap gap-2" data-testid="compare-runs">
        {shownRuns.map((r) => (
          <li key={r.id} className="flex items-center gap-2 rounded-full border border-slate-700 bg-slate-900 py-1 pl-2.5 pr-1.5 text-sm">
            <span className="h-2.5 w-2.5 rounded-full" style={{ background: colors.get(r.id) }} />
            <Link href={`/runs/${r.id}`} className="text-slate-100 hover:underline">{labels.get(r.id)}</Link>
            <SourceBadge source={r.source} />
            <StatusBadge status={r.status} />
            <button type="button" onClick={() => setRemoved((x) => [...x, r.id])} title="Leave out of the comparison" aria-label={`Remove ${r.name}`}
              className="rounded-full px-1.5 text-slate-500 hover:bg-slate-800 hover:text-slate-200">×</button>
          </li>
        ))}
      </ul>

      {props.missing.length > 0 && (
        <Notice testId="missing-runs">No run with id {props.missing.map((id) => `“${id}”`).join(", ")}: left out. It may have been deleted, or the link was cut short.</Notice>
      )}
      {props.dropped.length > 0 && (
        <Notice testId="dropped-runs">At most 20 runs can be compared; {props.dropped.length} more in the link were left out.</Notice>
      )}
      {error && <Notice testId="compare-error">{error}</Notice>}

      {shownRuns.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-700 p-10 text-center text-slate-400">
          No runs to compare. <Link href="/" className="text-indigo-300 underline">Pick some on the runs page</Link>.
        </p>
      ) : (
        <>
          <CompareSummary rows={summary.filter((s) => ids.includes(s.runId))} colors={colors} outside={outsideIds} />
          <ChartPageProvider settings={params} onChange={changeSettings} chartIds={available} feed={feed}>
            <CompareControls available={available} params={params} onChange={change} />
            <div className="grid gap-4 lg:grid-cols-2" data-testid="compare-charts" data-charts={charts.length}>
              {charts.map((m) => <CompareChart key={m} metric={m} title={metricTitle(m)} runs={linesFor(m)} initial={props.histories} groups={groups} />)}
            </div>
          </ChartPageProvider>
          <ScalingPanel runIds={ids} refreshKey={summary.filter((s) => ids.includes(s.runId)).map((s) => (s.status === "completed" ? `${s.runId}:${s.bestValLoss?.value ?? ""}` : s.status)).join(",")} />
          {ownRuns.length > 0 && (
            <CompareConfigDiff runs={ownRuns} colors={colors} hideIdentical={params.hideIdentical} onHideIdentical={(hideIdentical) => change({ hideIdentical })} />
          )}
          {outsideIds.size > 0 && (
            <p className="text-sm text-slate-400" data-testid="compare-outside-note">
              {outsideIds.size === 1 ? "One run was" : `${outsideIds.size} runs were`} logged by a trainer of its own: its params are on its page, not in the config table.
            </p>
          )}
        </>
      )}
    </div>
  );
}

function Notice({ testId, children }: { testId: string; children: React.ReactNode }) {
  return <p role="alert" data-testid={testId} className="rounded-md border border-amber-500/40 bg-amber-500/10 px-3 py-2 text-sm text-amber-200">{children}</p>;
}
