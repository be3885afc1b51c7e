"use client";
import Link from "next/link";
import { useCallback, useEffect, useState } from "react";
import { EV } from "../../../lib/protocol";
import { errorText } from "../../lib/errors";
import { liveSocket } from "../../lib/socket";
import { trpc } from "../../lib/trpc";
import { useNavigate } from "../common/navigation";
import { AlertToast } from "./alert-toast";
import type { AlertRow } from "./use-alerts";

const MAX_TOASTS = 5;

/** In every page's header: the unacknowledged-alert badge, and a toast for each new unmuted alert. */
export function AlertCenter() {
  const navigate = useNavigate();
  const [counts, setCounts] = useState<{ count: number; critical: number } | null>(null);
  const [toasts, setToasts] = useState<AlertRow[]>([]);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => {
    trpc.alert.unacknowledged.query().then(
      (c) => { setCounts(c); setError(null); },
      (e: unknown) => setError(`Could not count alerts: ${errorText(e)}`),
    );
  }, []);
  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);

  useEffect(() => {
    const socket = liveSocket();
    const join = () => {
      socket.emit(EV.alertsSubscribe);
      refresh();
    };
    const onNew = (a: AlertRow) => {
      if (!a.muted) setToasts((ts) => [a, ...ts].slice(0, MAX_TOASTS));
      refresh();
    };
    socket.on(EV.alertNew, onNew);
    socket.on(EV.alertsChanged, refresh);
    socket.on("connect", join);
    if (socket.connected) join();
    return () => {
      socket.off(EV.alertNew, onNew);
      socket.off(EV.alertsChanged, refresh);
      socket.off("connect", join);
    };
  }, [refresh]);

  async function acknowledge(a: AlertRow) {
    await trpc.alert.acknowledge.mutate({ ids: [a.id] });
    dismiss(a.id);
    refresh();
  }

  const count = counts?.count ?? 0;
  // Until the first count answers there is no number to show: a 0 would say "no alerts" before anyone knows.
  const loading = counts === null && !error;
  const tone = counts?.critical ? "bg-rose-500 text-white" : count > 0 ? "bg-amber-400 text-slate-950" : "bg-slate-700 text-slate-300";
  return (
    <>
      <Link href="/alerts" title={error ?? (loading ? "Counting alerts…" : `${count} unacknowledged warning and critical alerts`)}
        className="ml-auto flex items-center gap-1.5 text-sm text-slate-400 hover:text-slate-100">
        <svg viewBox="0 0 20 20" fill="currentColor" aria-hidden className="h-4 w-4">
          <path d="M10 2a5 5 0 0 0-5 5v3.3l-1.4 2.4A1 1 0 0 0 4.5 14.2h11a1 1 0 0 0 .9-1.5L15 10.3V7a5 5 0 0 0-5-5Zm-2 13.5a2 2 0 0 0 4 0H8Z" />
        </svg>
        <span data-testid="alert-badge" data-critical={counts?.critical ?? 0} data-loading={String(loading)}
          className={`min-w-5 rounded-full px-1.5 text-center text-xs font-semibold tabular-nums ${error ? "bg-slate-700 text-rose-300" : loading ? "animate-pulse bg-slate-800 text-slate-500" : tone}`}>
          {error ? "!" : loading ? "…" : count}
        </span>
      </Link>
      <div className="pointer-events-none fixed bottom-4 right-4 z-50 flex flex-col-reverse gap-2" aria-live="polite">
        {toasts.map((a) => (
          <AlertToast key={a.id} alert={a} onDismiss={dismiss} onAcknowledge={acknowledge}
            onOpen={(x) => { dismiss(x.id); navigate(`/runs/${x.runId}`); }} />
        ))}
      </div>
    </>
  );
}
