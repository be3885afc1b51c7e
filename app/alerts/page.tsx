import type { Metadata } from "next";
import { AlertsView } from "../components/alerts/alerts-view";
import { caller } from "../lib/caller";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Alerts" };

export default async function AlertsPage() {
  const api = caller();
  const [alerts, deliveries] = await Promise.all([api.alert.list({ limit: 500 }), api.webhook.deliveries({ limit: 50 })]);
  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold text-slate-100">Alerts</h1>
      <AlertsView alerts={alerts} deliveries={deliveries} />
    </div>
  );
}
