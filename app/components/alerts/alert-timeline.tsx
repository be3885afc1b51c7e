"use client";
import Link from "next/link";
import type { AlertType } from "../../../lib/anomaly/types";
import { fmtTime, fmtWhen } from "../../lib/format";
import { smallButton } from "../common/small-button";
import { SEVERITY_TONE, SeverityBadge } from "./severity-badge";
import type { AlertRow } from "./use-alerts";

const MUTE_FOR = [
  { label: "for 1 h", minutes: 60 },
  { label: "for 24 h", minutes: 24 * 60 },
  { label: "forever", minutes: null },
];

/** Alerts and recovery actions, newest first, each with acknowledge and mute-this-type. */
export function AlertTimeline(props: {
  alerts: AlertRow[];
  onAcknowledge: (ids: number[]) => void;
  onMute: (runId: string, type: AlertType, minutes: number | null) => void;
  /** A line added under an alert's message, by alert id (the layer that went first at a spike). */
  notes?: Map<number, string>;
  /** On the all-runs page each row names and links its run. */
  showRun?: boolean;
  empty: string;
  /** On a run's page: open that step's batch in the forensics panel. */
  onInspect?: (step: number) => void;
}) {
  if (props.alerts.length === 0) return <p className="text-sm text-slate-500">{props.empty}</p>;
  return (
    <ol className="max-h-[28rem] space-y-2 overflow-y-auto pr-1" data-testid="alert-timeline">
      {props.alerts.map((a) => (
        <li key={a.id} data-testid="alert-row" data-alert-id={a.id} data-acknowledged={a.acknowledged}
          className={`rounded-md border-l-2 bg-slate-900 px-3 py-2 ${SEVERITY_TONE[a.severity]} ${a.acknowledged || a.muted ? "opacity-60" : ""}`}>
          <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm">
            <SeverityBadge severity={a.severity} />
            <span className="font-mono text-slate-100">{a.type}</span>
            <span className="font-mono tabular-nums text-slate-400">step {a.step}</span>
            {props.showRun && <Link href={`/runs/${a.runId}`} className="text-indigo-300 hover:underline">{a.runName}</Link>}
            {a.muted && <span className="text-xs text-slate-500">muted</span>}
            <span className="ml-auto text-xs text-slate-500" title={fmtTime(a.createdAt)}>{fmtWhen(a.createdAt)}</span>
            {props.onInspect && (
              <button onClick={() => props.onInspect!(a.step)} className={smallButton} data-testid="alert-inspect" title="Rebuild this step's batch: documents, losses, per-layer gradient norms">Inspect batch</button>
            )}
            {a.acknowledged ? (
              <span className="text-xs text-slate-500" title={fmtTime(a.acknowledgedAt)}>acknowledged</span>
            ) : (
              <button onClick={() => props.onAcknowledge([a.id])} className={smallButton} data-testid="alert-ack">Acknowledge</button>
            )}
            <select aria-label={`Mute ${a.type} for this run`} value="" data-testid="alert-mute"
              onChange={(e) => props.onMute(a.runId, a.type, MUTE_FOR[Number(e.target.value)].minutes)}
              className="rounded border border-slate-600 bg-slate-950 px-1 py-0.5 text-xs text-slate-300">
              <option value="" disabled>Mute this type…</option>
              {MUTE_FOR.map((d, i) => <option key={d.label} value={i}>{d.label}</option>)}
            </select>
          </div>
          <p className="mt-1 break-words text-sm text-slate-300">{a.message}</p>
          {props.notes?.get(a.id) && <p className="mt-0.5 font-mono text-xs text-rose-200" data-testid="alert-first-layer">{props.notes.get(a.id)}</p>}
        </li>
      ))}
    </ol>
  );
}
