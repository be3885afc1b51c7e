"use client";
import { useMemo, useState } from "react";
import { ACTIVE_STATUSES, NO_VERIFIED_CHECKPOINT } from "../../../lib/protocol";
import type { RouterOutputs } from "../../../server/trpc/router";
import { useActionError } from "../../lib/errors";
import { fmtBytes, fmtInt, fmtNumber, fmtTime, fmtWhen } from "../../lib/format";
import { trpc } from "../../lib/trpc";
import { useMe } from "../../lib/use-me";
import { RunAlerts } from "../alerts/run-alerts";
import { SEVERITY_COLOR } from "../alerts/severity-badge";
import { useAlerts, type AlertRow } from "../alerts/use-alerts";
import { ChartPageProvider, useChartSettingsInUrl } from "../charts/chart-context";
import type { ChartSettings } from "../charts/chart-settings";
import { ChartToolbar } from "../charts/chart-toolbar";
import { useXMaps } from "../charts/use-chart-x";
import { Notice, Row } from "../common/run-detail";
import { RunPlace, useWorkerNames } from "../common/run-place";
import { StatusBadge } from "../common/status-badge";
import { LayersSection } from "../layers/layers-section";
import { useFirstLayers } from "../layers/use-first-layers";
import { BatchForensics } from "./batch-forensics";
import { RunChartSections, runChartIds } from "./chart-run-sections";
import { ExportStatus, useCheckpointExport } from "./checkpoint-export";
import { CheckpointPickBox, ComparePicked, useCheckpointPick } from "./checkpoint-pick";
import { EvalTable } from "./eval-panels";
import { GeneratePanel } from "./generate-panel";
import { ResumePicker } from "./resume-picker";
import { RunConfigTable } from "./run-config-table";
import { RunDownloads } from "./run-downloads";
import { RunLineage, type Lineage } from "./run-lineage";
import { RunLog } from "./run-log";
import { RunNotes } from "./run-notes";
import { useLiveRun } from "./use-live-run";

type Props = {
  run: RouterOutputs["run"]["get"]; checkpoints: RouterOutputs["checkpoint"]["list"]; metrics: RouterOutputs["metric"]["keys"];
  alerts: AlertRow[]; lineage: Lineage; settings: ChartSettings;
  /** Every raw point through metric.history, as the benchmark's baseline (?naive=1). */
  naive?: boolean;
};

export function RunView(props: Props) {
  const { run, setRun, checkpoints, keys, superseded, log, feed } = useLiveRun({ ...props, keys: props.metrics.keys.map((k) => k.key) });
  const [settings, changeSettings] = useChartSettingsInUrl(props.settings);
  const xMaps = useXMaps([{ id: run.id, batchSize: run.config.batchSize, contextLength: run.config.contextLength, startTime: props.metrics.startTime }], settings.x);
  const alertFeed = useAlerts(run.id, props.alerts);
  const workerNames = useWorkerNames([run.workerId]);
  const me = useMe();
  const markers = useMemo(() => alertFeed.alerts.map((a) => ({ step: a.step, label: a.type, color: SEVERITY_COLOR[a.severity] })), [alertFeed.alerts]);
  const firstLayers = useFirstLayers(run.id, alertFeed.alerts, keys, run.config.layerStatsInterval);
  const [busy, setBusy] = useState(false);
  const [inspect, setInspect] = useState<{ step: number; at: number } | null>(null);
  const [actionError, setActionError] = useActionError();
  const exporter = useCheckpointExport(run.id);
  const pick = useCheckpointPick(run.id);
  const active = ACTIVE_STATUSES.includes(run.status);
  const canResume = !active && run.status !== "completed";

  const noVerifiedCheckpoint = run.status === "failed" && (run.error ?? "").startsWith(NO_VERIFIED_CHECKPOINT);

  async function act(action: "stop" | "resume" | "fromScratch") {
    setBusy(true);
    setActionError(null);
    try {
      setRun(action === "fromScratch" ? await trpc.run.resume.mutate({ id: run.id, fromScratch: true }) : await trpc.run[action].mutate({ id: run.id }));
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  }

  const synthetic = new Set(run.config.evals.filter((e) => e.file === "synthetic").map((e) => e.task as string));
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-xl font-semibold text-slate-100">{run.name}</h1>
        <StatusBadge status={run.status} queueAhead={run.queueAhead} />
        <span className="rounded bg-slate-800 px-2 py-0.5 font-mono text-xs text-slate-300" data-testid="run-backend">
          backend: {run.backend ?? (run.config.queue && !run.workerId && run.status === "queued" ? "waiting for a worker" : active ? "starting…" : "never started")}
        </span>
        <RunPlace queue={run.config.queue} workerId={run.workerId} workerName={run.workerId ? workerNames.get(run.workerId) : undefined}
          className="rounded bg-slate-800 px-2 py-0.5" />
        <span className="font-mono text-sm tabular-nums text-slate-400" data-testid="run-step">
          step {run.step}/{run.totalSteps}
        </span>
        <div className="ml-auto flex flex-wrap justify-end gap-2">
          <RunDownloads runId={run.id} />
          <button onClick={() => act("stop")} disabled={busy || !active || run.status === "stopping"}
            className="rounded-md border border-slate-600 px-3 py-1.5 text-sm hover:bg-slate-800 disabled:opacity-40">Stop</button>
          <ResumePicker run={run} steps={checkpoints.map((c) => c.step)} disabled={busy || !canResume} onResumed={setRun} onError={setActionError} />
          {noVerifiedCheckpoint && (
            <button onClick={() => act("fromScratch")} disabled={busy} data-testid="run-from-scratch"
              title="No checkpoint of this run verifies: sets them aside and trains again from step 0"
              className="rounded-md border border-rose-500 px-3 py-1.5 text-sm text-rose-200 hover:bg-rose-950 disabled:opacity-40">Restart from scratch</button>
          )}
        </div>
      </div>
      <RunLineage lineage={props.lineage} />
      {active && log && <p className="font-mono text-xs text-slate-400" data-testid="run-log">{log}</p>}
      {run.warning && <Notice tone="amber" text={run.warning} />}
      {run.error && <Notice tone="rose" text={run.error} />}
      {actionError && <Notice tone="rose" text={actionError} />}

      <ChartPageProvider settings={settings} onChange={changeSettings} chartIds={runChartIds(keys)} feed={feed} naive={props.naive}>
        <div className="space-y-4" data-testid="run-charts">
          <ChartToolbar />
          <RunChartSections runId={run.id} keys={keys} xMap={xMaps[run.id]} markers={markers} superseded={superseded} synthetic={synthetic} />
          <LayersSection runId={run.id} keys={keys} xMap={xMaps[run.id]} markers={markers} firstLayers={firstLayers} />
        </div>
      </ChartPageProvider>
      <EvalTable runId={run.id} keys={keys} synthetic={synthetic} feed={feed} />
      <RunAlerts runId={run.id} feed={alertFeed} firstLayers={firstLayers} onInspect={(step) => setInspect({ step, at: Date.now() })} />
      {run.source === "trainer" && <BatchForensics runId={run.id} request={inspect} checkpointSteps={checkpoints.map((c) => c.step)} />}

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-[1fr_1fr_1.25fr]">
        <section className="min-w-0 overflow-x-auto rounded-lg border border-slate-800 p-4">
          <h2 className="mb-2 text-sm font-semibold text-slate-300">Checkpoints</h2>
          {checkpoints.length === 0 ? <p className="text-sm text-slate-500">None yet. One is written every {run.config.checkpointInterval} steps and on stop.</p> : (
            <table className="w-full whitespace-nowrap text-sm" data-testid="checkpoints">
              <thead className="text-left text-xs uppercase text-slate-500">
                <tr><th className="py-1 pr-3">Compare · Step</th><th className="pr-3">Size</th><th className="pr-3">sha256</th><th className="pr-3">Saved</th><th /></tr>
              </thead>
              <tbody className="font-mono tabular-nums">
                {checkpoints.map((c, i) => (
                  <tr key={c.step} className="border-t border-slate-800" title={c.path}>
                    <td className="py-1 pr-3"><CheckpointPickBox pick={pick} step={c.step} />{c.step}</td><td className="pr-3">{fmtBytes(c.bytes)}</td>
                    <td className="pr-3 text-slate-400">{c.sha256.slice(0, 8)}…</td><td className="pr-3 text-slate-400" title={fmtTime(c.createdAt)}>{fmtWhen(c.createdAt)}</td>
                    <td><button onClick={() => exporter.exportStep(c.step)} disabled={exporter.busy} data-testid={`export-${c.step}`}
                      title="Weights as model.safetensors, config.json and tokenizer.json, in an export folder beside the checkpoint"
                      className="rounded border border-slate-600 px-2 py-0.5 font-sans text-xs hover:bg-slate-800 disabled:opacity-40">Export</button>
                      <a href={`/api/download/runs/${run.id}/export/${c.step}`} download data-testid={`download-${c.step}`}
                        title="Download the exported model (model.safetensors, config.json, tokenizer.json) as a .tar.gz"
                        className="ml-1 rounded border border-slate-600 px-2 py-0.5 font-sans text-xs hover:bg-slate-800">Download</a>
                      <a href={`/runs/new?fork=${run.id}@${c.step}`} data-testid={`fork-${c.step}`}
                        title="A new run starting from these weights, with its own learning rate, schedule or data mix"
                        className="ml-1 rounded border border-slate-600 px-2 py-0.5 font-sans text-xs hover:bg-slate-800">Fork</a>
                      {checkpoints[i + 1] && (
                        <a href={`/compare/checkpoints?c=${run.id}@${checkpoints[i + 1].step},${run.id}@${c.step}`} data-testid={`compare-${c.step}`}
                          title={`Compare with step ${checkpoints[i + 1].step}: scores, text and per-example changes`}
                          className="ml-1 rounded border border-slate-600 px-2 py-0.5 font-sans text-xs hover:bg-slate-800">Compare</a>
                      )}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {checkpoints.length > 1 && <ComparePicked pick={pick} />}
          <ExportStatus state={exporter.state} />
        </section>
        <section className="min-w-0 rounded-lg border border-slate-800 p-4">
          <h2 className="mb-2 text-sm font-semibold text-slate-300">Run</h2>
          <dl className="grid grid-cols-[8rem_1fr] gap-y-1 text-sm">
            <Row label="Parameters" value={fmtInt(run.paramCount)} />
            <Row label="Last loss" value={fmtNumber(run.lastLoss, 4)} />
            <Row label="Tokens/s" value={fmtInt(run.tokensPerSec)} />
            <Row label="Restarts" value={run.config.restartOnCrash ? `${run.restarts} of ${run.config.maxRestarts}` : `${run.restarts} (auto-restart off)`} />
            <Row label="Created" value={fmtTime(run.createdAt)} />
            <Row label="Started" value={fmtTime(run.startedAt)} />
            <Row label="Ended" value={fmtTime(run.endedAt)} />
            <Row label="Run id" value={run.id} />
          </dl>
        </section>
        <section className="min-w-0 rounded-lg border border-slate-800 p-4">
          <h2 className="mb-2 text-sm font-semibold text-slate-300">Config</h2>
          <RunConfigTable config={run.config} />
        </section>
      </div>
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-[1fr_2fr]">
        <section className="min-w-0 rounded-lg border border-slate-800 p-4">
          <h2 className="mb-2 text-sm font-semibold text-slate-300">Notes</h2>
          <RunNotes run={run} canEdit={me?.role === "admin" || me?.role === "member"} />
        </section>
        <section className="min-w-0 rounded-lg border border-slate-800 p-4">
          <h2 className="mb-2 text-sm font-semibold text-slate-300">Trainer log</h2>
          <RunLog runId={run.id} active={active} />
        </section>
      </div>
      <GeneratePanel runId={run.id} steps={checkpoints.map((c) => c.step)} />
    </div>
  );
}
