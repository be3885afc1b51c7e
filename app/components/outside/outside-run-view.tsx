"use client";
import { useMemo, useState } from "react";
import { ACTIVE_STATUSES } from "../../../lib/protocol";
import type { RouterOutputs } from "../../../server/trpc/router";
import { fmtInt, fmtNumber, fmtTime } from "../../lib/format";
import { trpc } from "../../lib/trpc";
import { RunAlerts } from "../alerts/run-alerts";
import { SEVERITY_COLOR } from "../alerts/severity-badge";
import { useAlerts, type AlertRow } from "../alerts/use-alerts";
import { ChartPageProvider, useChartSettingsInUrl } from "../charts/chart-context";
import type { ChartSettings } from "../charts/chart-settings";
import { ChartToolbar } from "../charts/chart-toolbar";
import { useXMaps } from "../charts/use-chart-x";
import { Notice, Row } from "../common/run-detail";
import { SourceBadge } from "../common/source-badge";
import { StatusBadge } from "../common/status-badge";
import { useLiveRun } from "../run/use-live-run";
import { KeyValuePanel } from "./key-value-panel";
import { OutsideArtifacts } from "./outside-artifacts";
import { OutsideChartSections, outsideChartIds } from "./outside-charts";
import { OutsideRoles } from "./outside-roles";
import { useAgo } from "./use-ago";
import { useOutsideDetail, type OutsideDetail } from "./use-outside-detail";

/** Tags MLflow clients set on their own (source file, git commit, the user): shown on request. */
const isSystemTag = (key: string) => key.startsWith("mlflow.") || key === "pretrain.client_key";

/**
 * The page of a run whose trainer is not ours (MLflow API, TensorBoard files): its params are its
 * config, its metrics keep their own names, and nothing here starts, forks or resumes it.
 */
export function OutsideRunView(props: {
  run: RouterOutputs["run"]["get"]; detail: OutsideDetail; startTime: number | null; alerts: AlertRow[]; settings: ChartSettings; naive?: boolean;
}) {
  const { run, setRun, feed } = useLiveRun({ run: props.run, checkpoints: [], keys: [] });
  const { detail, refresh, error: detailError, lastLiveAt } = useOutsideDetail(run.id, props.detail);
  const [settings, changeSettings] = useChartSettingsInUrl(props.settings);
  const xMaps = useXMaps([{ id: run.id, batchSize: run.config.batchSize, contextLength: run.config.contextLength, startTime: props.startTime }], settings.x);
  const alertFeed = useAlerts(run.id, props.alerts);
  const markers = useMemo(() => alertFeed.alerts.map((a) => ({ step: a.step, label: a.type, color: SEVERITY_COLOR[a.severity] })), [alertFeed.alerts]);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const active = ACTIVE_STATUSES.includes(run.status);
  const lastLog = Math.max(run.lastLogAt ? Date.parse(run.lastLogAt) : 0, lastLiveAt ?? 0) || null;
  const logged = useAgo(lastLog);
  const names = detail.metricNames;
  const tags = Object.entries(detail.tags);
  const note = detail.tags["mlflow.note.content"];

  async function markEnded() {
    setBusy(true);
    setActionError(null);
    try {
      setRun(await trpc.run.stop.mutate({ id: run.id }));
    } catch (e) {
      setActionError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  async function rolesSaved() {
    await refresh();
    // The points moved between stored keys: every chart loads its series again.
    feed.reset(run.id);
  }

  return (
    <div className="space-y-6" data-testid="outside-run" data-source={detail.source}>
      <div className="space-y-2">
        <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
          <h1 className="min-w-0 text-xl font-semibold text-slate-100 [overflow-wrap:anywhere]">{run.name}</h1>
          <SourceBadge source={detail.source} />
          <StatusBadge status={run.status} />
          <span className="font-mono text-sm tabular-nums text-slate-400" data-testid="run-step">
            step {fmtInt(run.step)}{run.totalSteps > 0 ? `/${fmtInt(run.totalSteps)}` : ""}
          </span>
          <div className="ml-auto flex gap-2">
            <button onClick={markEnded} disabled={busy || !active} data-testid="mark-ended"
              title="Ends the run here, as stopped. Its trainer is not ours to stop: one still logging can set its status again."
              className="rounded-md border border-slate-600 px-3 py-1.5 text-sm hover:bg-slate-800 disabled:opacity-40">Mark as ended</button>
          </div>
        </div>
        <p className="flex flex-wrap items-center gap-x-4 gap-y-1 text-sm text-slate-400" data-testid="run-origin">
          {detail.experiment && <span>experiment <span className="text-slate-200" data-testid="run-experiment">{detail.experiment.name}</span></span>}
          {run.userName && <span>by <span className="text-slate-200" data-testid="run-user">{run.userName}</span></span>}
          {logged && <span data-testid="run-last-log" title={lastLog ? fmtTime(new Date(lastLog)) : undefined}>logged {logged}</span>}
          <span>started {fmtTime(run.startedAt)}</span>
        </p>
        {note && <p className="whitespace-pre-wrap text-sm text-slate-300 [overflow-wrap:anywhere]" data-testid="run-note">{note}</p>}
      </div>
      {run.warning && <Notice tone="amber" text={run.warning} />}
      {run.error && <Notice tone="rose" text={run.error} />}
      {actionError && <Notice tone="rose" text={actionError} />}
      {detailError && <Notice tone="amber" text={detailError} />}

      <ChartPageProvider settings={settings} onChange={changeSettings} chartIds={outsideChartIds(names)} feed={feed} naive={props.naive}>
        <div className="space-y-4" data-testid="run-charts">
          <ChartToolbar />
          <OutsideChartSections runId={run.id} names={names} xMap={xMaps[run.id]} markers={markers} />
        </div>
      </ChartPageProvider>
      <RunAlerts runId={run.id} feed={alertFeed} />

      <div className="grid gap-4 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <div className="min-w-0 space-y-4">
          <KeyValuePanel title="Params" testId="run-params" rows={Object.entries(detail.params)} empty="The trainer logged no params." />
          <KeyValuePanel title="Tags" testId="run-tags" rows={tags.filter(([k]) => !isSystemTag(k))} hidden={tags.filter(([k]) => isSystemTag(k))}
            hiddenLabel="system tags (mlflow.*)" empty="No tags." />
        </div>
        <div className="min-w-0 space-y-4">
          <OutsideRoles runId={run.id} roles={detail.roles} names={Object.values(names)} onSaved={rolesSaved} />
          <section className="rounded-lg border border-slate-800 p-4">
            <h2 className="mb-2 text-sm font-semibold text-slate-300">Run</h2>
            <dl className="grid grid-cols-[7rem_minmax(0,1fr)] gap-y-1 text-sm">
              <Row label="Last loss" value={fmtNumber(run.lastLoss, 4)} />
              <Row label="Tokens/s" value={fmtInt(run.tokensPerSec)} />
              <Row label="Metrics" value={String(Object.keys(names).length)} />
              <Row label="Started" value={fmtTime(run.startedAt)} />
              <Row label="Ended" value={fmtTime(run.endedAt)} />
              <Row label="Run id" value={run.id} />
            </dl>
          </section>
          <OutsideArtifacts runId={run.id} experimentId={run.experimentId} artifacts={detail.artifacts} />
        </div>
      </div>
    </div>
  );
}
