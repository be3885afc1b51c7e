"use client";
import { useEffect, useState } from "react";
import { SEVERITY_TONE, SeverityBadge } from "./severity-badge";
import type { AlertRow } from "./use-alerts";

const SHOWN_MS = 10_000;

/** One new alert, bottom-right: click opens its run; it goes away by itself after ten seconds. */
export function AlertToast(props: { alert: AlertRow; onOpen: (a: AlertRow) => void; onAcknowledge: (a: AlertRow) => Promise<void>; onDismiss: (id: number) => void }) {
  const { alert: a, onDismiss } = props;
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const timer = setTimeout(() => onDismiss(a.id), SHOWN_MS);
    return () => clearTimeout(timer);
  }, [a.id, onDismiss]);

  const acknowledge = (e: React.MouseEvent) => {
    e.stopPropagation();
    props.onAcknowledge(a).catch((err: unknown) => setError(`Could not acknowledge: ${err instanceof Error ? err.message : String(err)}`));
  };
  return (
    <div role="alert" data-testid="alert-toast" data-alert-id={a.id} data-severity={a.severity} onClick={() => props.onOpen(a)}
      className={`pointer-events-auto w-96 cursor-pointer rounded-lg border border-l-4 border-slate-700 bg-slate-900/95 p-3 shadow-xl shadow-black/40 backdrop-blur hover:bg-slate-800/95 ${SEVERITY_TONE[a.severity]}`}>
      <div className="flex items-center gap-2 text-sm">
        <SeverityBadge severity={a.severity} />
        <span className="font-mono font-medium text-slate-100">{a.type}</span>
        <span className="font-mono text-xs tabular-nums text-slate-400">step {a.step}</span>
        <button aria-label="Dismiss" onClick={(e) => { e.stopPropagation(); onDismiss(a.id); }} className="ml-auto px-1 text-slate-500 hover:text-slate-200">×</button>
      </div>
      <p className="mt-1 truncate text-sm font-medium text-slate-200" title={a.runName}>{a.runName}</p>
      <p className="mt-0.5 line-clamp-2 text-xs text-slate-400">{a.message}</p>
      {error && <p className="mt-1 text-xs text-rose-300">{error}</p>}
      <div className="mt-2 flex items-center justify-between">
        <button onClick={acknowledge} data-testid="toast-ack"
          className="rounded border border-slate-600 px-2 py-0.5 text-xs text-slate-200 hover:bg-slate-700">Acknowledge</button>
        <span className="text-xs text-indigo-300">Open run →</span>
      </div>
    </div>
  );
}
