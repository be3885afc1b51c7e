import type { RunStatus } from "../../../lib/protocol";

const STYLES: Record<RunStatus, string> = {
  queued: "bg-slate-700 text-slate-200",
  running: "bg-emerald-500/15 text-emerald-300 ring-emerald-500/40",
  stopping: "bg-amber-500/15 text-amber-300 ring-amber-500/40",
  stopped: "bg-slate-600/30 text-slate-300 ring-slate-500/40",
  completed: "bg-sky-500/15 text-sky-300 ring-sky-500/40",
  failed: "bg-rose-500/15 text-rose-300 ring-rose-500/40",
  crashed: "bg-rose-500/15 text-rose-300 ring-rose-500/40",
};

/** `queueAhead`: for a run waiting for a trainer slot, how many queued runs start before it. */
export function StatusBadge({ status, queueAhead = null }: { status: RunStatus; queueAhead?: number | null }) {
  return (
    <span data-testid="run-status" className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${STYLES[status]}`}>
      {status === "running" && <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-emerald-400" />}
      {status}
      {status === "queued" && queueAhead !== null && <span data-testid="queue-position">— {queueAhead === 0 ? "next" : `${queueAhead} ahead`}</span>}
    </span>
  );
}
