"use client";
import Link from "next/link";
import { useCallback, useEffect, useRef, useState } from "react";
import type { Severity } from "../../../lib/anomaly/types";
import { EV } from "../../../lib/protocol";
import type { RouterOutputs } from "../../../server/trpc/router";
import { fmtTime, fmtWhen } from "../../lib/format";
import { liveSocket } from "../../lib/socket";
import { trpc } from "../../lib/trpc";
import { SeverityBadge } from "./severity-badge";

type Delivery = RouterOutputs["webhook"]["deliveries"][number];
/** What webhook:delivery carries: the row without its alert. */
type DeliveryUpdate = Omit<Delivery, "alert">;

const STATUS_TONE: Record<string, string> = {
  delivered: "text-emerald-300",
  failed: "text-rose-300",
  deduplicated: "text-slate-400",
  pending: "text-amber-300",
};

/** The latest webhook deliveries, updated live as retries go on. */
export function DeliveryLog({ initial }: { initial: Delivery[] }) {
  const [rows, setRows] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const known = useRef(new Set<number>());
  useEffect(() => {
    known.current = new Set(rows.map((r) => r.id));
  }, [rows]);
  const load = useCallback(async () => setRows(await trpc.webhook.deliveries.query({ limit: 50 })), []);

  useEffect(() => {
    const socket = liveSocket();
    const reload = () => load().catch((e: unknown) => setError(`Could not load deliveries: ${e instanceof Error ? e.message : String(e)}`));
    const join = () => socket.emit(EV.alertsSubscribe);
    // A known row is updated in place; a new one needs its alert, so the list is fetched again.
    const onDelivery = (d: DeliveryUpdate) => {
      if (known.current.has(d.id)) setRows((held) => held.map((r) => (r.id === d.id ? { ...r, ...d } : r)));
      else void reload();
    };
    socket.on(EV.webhookDelivery, onDelivery);
    socket.on("connect", join);
    if (socket.connected) join();
    return () => {
      socket.off(EV.webhookDelivery, onDelivery);
      socket.off("connect", join);
    };
  }, [load]);

  if (rows.length === 0 && !error) return <p className="text-sm text-slate-500">No deliveries yet.</p>;
  return (
    <div className="overflow-x-auto">
      {error && <p role="alert" className="mb-2 text-sm text-rose-300">{error}</p>}
      <table className="w-full text-sm" data-testid="delivery-log">
        <thead className="text-left text-xs uppercase text-slate-500">
          <tr>{["Time", "Webhook", "Alert", "Status", "Attempts", "HTTP", "Error"].map((h) => <th key={h} className="py-1 pr-3 font-medium">{h}</th>)}</tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={d.id} className="border-t border-slate-800 align-top [&>td]:py-1.5" data-testid="delivery" data-status={d.status}>
              <td className="pr-3 whitespace-nowrap text-slate-400" title={fmtTime(d.updatedAt)}>{fmtWhen(d.createdAt)}</td>
              <td className="pr-3 font-mono text-slate-400">#{d.webhookId}</td>
              <td className="pr-3">
                <span className="flex flex-wrap items-center gap-2">
                  <SeverityBadge severity={d.alert.severity as Severity} />
                  <span className="font-mono">{d.alert.type}</span>
                  <Link href={`/runs/${d.alert.runId}`} className="text-indigo-300 hover:underline">{d.alert.runName}</Link>
                  <span className="font-mono text-xs text-slate-500">step {d.alert.step}</span>
                </span>
              </td>
              <td className={`pr-3 font-medium ${STATUS_TONE[d.status] ?? "text-slate-300"}`}>{d.status}</td>
              <td className="pr-3 font-mono tabular-nums">{d.attempts}</td>
              <td className="pr-3 font-mono tabular-nums">{d.httpStatus ?? "—"}</td>
              <td className="max-w-md break-words text-xs text-slate-400">{d.error ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
