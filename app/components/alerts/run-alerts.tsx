"use client";
import { describeFirstLayer, type FirstLayer } from "../../../lib/layer-first";
import { smallButton } from "../common/small-button";
import { AlertTimeline } from "./alert-timeline";
import { MuteList } from "./mute-list";
import type { useAlerts } from "./use-alerts";
import { WebhooksPanel } from "./webhooks-panel";

/** A run's alerts and recovery actions as a live timeline, its mutes, and its own webhooks. */
export function RunAlerts({ runId, feed, firstLayers, onInspect }: {
  runId: string; feed: ReturnType<typeof useAlerts>; firstLayers?: Map<number, FirstLayer>; onInspect?: (step: number) => void;
}) {
  const open = feed.alerts.filter((a) => !a.acknowledged && !a.muted).length;
  return (
    <section className="rounded-lg border border-slate-800 p-4" data-testid="run-alerts">
      <div className="mb-3 flex flex-wrap items-center gap-3">
        <h2 className="text-sm font-semibold text-slate-300">Alerts &amp; events</h2>
        <span className="text-xs text-slate-500" data-testid="run-alerts-summary">{feed.alerts.length} in all · {open} unacknowledged</span>
        <button onClick={feed.acknowledgeAll} disabled={open === 0} className={`ml-auto ${smallButton}`} data-testid="ack-all">Acknowledge all</button>
      </div>
      {feed.error && <p role="alert" className="mb-2 text-sm text-rose-300">{feed.error}</p>}
      <div className="grid gap-6 lg:grid-cols-[3fr_2fr]">
        <AlertTimeline alerts={feed.alerts} notes={firstLayers && new Map([...firstLayers].map(([id, f]) => [id, describeFirstLayer(f)]))} onAcknowledge={feed.acknowledge} onMute={feed.mute} onInspect={onInspect}
          empty="No alerts or recovery actions yet. Spikes, NaNs, stalls, crashes and rollbacks show up here as they happen." />
        <div className="space-y-5">
          <div>
            <h3 className="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">Mutes in force</h3>
            <MuteList mutes={feed.mutes} onUnmute={feed.unmute} runId={runId} />
          </div>
          <div>
            <h3 className="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">Webhooks for this run</h3>
            <WebhooksPanel runId={runId} />
          </div>
        </div>
      </div>
    </section>
  );
}
