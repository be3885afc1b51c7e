"use client";
import { useState } from "react";
import { SEVERITIES, type Severity } from "../../../lib/anomaly/types";
import type { RouterOutputs } from "../../../server/trpc/router";
import { smallButton } from "../common/small-button";
import { AlertTimeline } from "./alert-timeline";
import { DeliveryLog } from "./delivery-log";
import { MuteList } from "./mute-list";
import { useAlerts, type AlertRow } from "./use-alerts";
import { WebhooksPanel } from "./webhooks-panel";

type Deliveries = RouterOutputs["webhook"]["deliveries"];

/** Every run's alerts with filters, the mutes in force, the global webhooks and their delivery log. */
export function AlertsView({ alerts, deliveries }: { alerts: AlertRow[]; deliveries: Deliveries }) {
  const feed = useAlerts(undefined, alerts);
  const [openOnly, setOpenOnly] = useState(false);
  const [severity, setSeverity] = useState<Severity | "all">("all");
  const isOpen = (a: AlertRow) => !a.acknowledged && !a.muted;
  const shown = feed.alerts.filter((a) => (!openOnly || isOpen(a)) && (severity === "all" || a.severity === severity));
  const open = feed.alerts.filter(isOpen).length;

  return (
    <div className="space-y-6">
      <div className="grid gap-6 lg:grid-cols-[3fr_2fr]">
        <section className="rounded-lg border border-slate-800 p-4" data-testid="all-alerts">
          <div className="mb-2 flex flex-wrap items-center gap-3 text-sm">
            <h2 className="font-semibold text-slate-300">All runs</h2>
            <span className="text-xs text-slate-500">{feed.alerts.length} in all · {open} unacknowledged</span>
            <button onClick={feed.acknowledgeAll} disabled={open === 0} className={`ml-auto ${smallButton}`} data-testid="ack-all">Acknowledge all</button>
          </div>
          <div className="mb-3 flex flex-wrap items-center gap-3 text-sm">
            <label className="flex items-center gap-1.5 text-slate-300">
              <input type="checkbox" checked={openOnly} onChange={(e) => setOpenOnly(e.target.checked)} data-testid="filter-unacknowledged" />
              Unacknowledged only
            </label>
            <select value={severity} onChange={(e) => setSeverity(e.target.value as Severity | "all")} aria-label="Severity" data-testid="filter-severity"
              className="rounded border border-slate-700 bg-slate-950 px-2 py-0.5 text-sm text-slate-200">
              <option value="all">every severity</option>
              {SEVERITIES.map((s) => <option key={s} value={s}>{s} only</option>)}
            </select>
          </div>
          {feed.error && <p role="alert" className="mb-2 text-sm text-rose-300">{feed.error}</p>}
          <AlertTimeline alerts={shown} onAcknowledge={feed.acknowledge} onMute={feed.mute} showRun
            empty={feed.alerts.length ? "No alerts match the filter." : "No alerts yet."} />
        </section>
        <div className="space-y-6">
          <section className="rounded-lg border border-slate-800 p-4">
            <h2 className="mb-2 text-sm font-semibold text-slate-300">Mutes in force</h2>
            <MuteList mutes={feed.mutes} onUnmute={feed.unmute} />
          </section>
          <section className="rounded-lg border border-slate-800 p-4">
            <h2 className="mb-1 text-sm font-semibold text-slate-300">Global webhooks</h2>
            <p className="mb-3 text-xs text-slate-500">Every run&apos;s alerts at or above the chosen severity are POSTed here; a run&apos;s own webhooks are set on its page.</p>
            <WebhooksPanel runId={null} />
          </section>
        </div>
      </div>
      <section className="rounded-lg border border-slate-800 p-4">
        <h2 className="mb-2 text-sm font-semibold text-slate-300">Delivery log</h2>
        <DeliveryLog initial={deliveries} />
      </section>
    </div>
  );
}
