import type { Metadata } from "next";
import { ApiKeys } from "../../components/auth/api-keys";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "API keys" };

export default function ApiKeysPage() {
  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold text-slate-100">API keys</h1>
      <p className="text-sm text-slate-400">For trainers, workers and scripts. A key acts as you, within its scopes and your role.</p>
      <ApiKeys />
    </div>
  );
}
