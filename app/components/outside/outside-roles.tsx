"use client";
import { useState } from "react";
import { ROLES, type KeyRoles, type Role } from "../../../lib/outside-metrics";
import { trpc } from "../../lib/trpc";

export const ROLE_LABELS: Record<Role, string> = { loss: "Train loss", val_loss: "Val loss", grad_norm: "Grad norm", lr: "Learning rate", tokens_per_sec: "Tokens/s" };

/** Which of the run's own metric names plays each role; a change moves its stored points at once. */
export function OutsideRoles({ runId, roles, names, onSaved }: { runId: string; roles: KeyRoles; names: string[]; onSaved: () => Promise<void> | void }) {
  const [busy, setBusy] = useState<Role | null>(null);
  const [error, setError] = useState<string | null>(null);
  const sorted = [...names].sort((a, b) => a.localeCompare(b));
  const roleOf = new Map(ROLES.flatMap((r) => (roles[r] ? [[roles[r]!, r] as const] : [])));

  async function save(role: Role, name: string) {
    setBusy(role);
    setError(null);
    try {
      await trpc.outside.setRoles.mutate({ runId, roles: { [role]: name || null } });
      await onSaved();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="min-w-0 rounded-lg border border-slate-800 p-4" data-testid="metric-roles">
      <h2 className="text-sm font-semibold text-slate-300">Metric roles</h2>
      <p className="mb-3 mt-1 text-xs text-slate-500">
        Which metric is which: the standard charts, the alerts, the runs table and compare read these.
      </p>
      <div className="grid grid-cols-[minmax(6.5rem,auto)_minmax(0,1fr)] items-center gap-x-3 gap-y-2 text-sm">
        {ROLES.map((role) => (
          <label key={role} className="contents">
            <span className="text-slate-400">{ROLE_LABELS[role]}</span>
            <select value={roles[role] ?? ""} disabled={busy !== null} onChange={(e) => void save(role, e.target.value)} data-testid={`role-${role}`}
              className="w-full min-w-0 truncate rounded-md border border-slate-700 bg-slate-900 px-2 py-1 font-mono text-xs text-slate-200 disabled:opacity-50">
              <option value="">none</option>
              {sorted.map((n) => {
                const other = roleOf.get(n);
                return <option key={n} value={n}>{n}{other && other !== role ? ` (now ${ROLE_LABELS[other].toLowerCase()})` : ""}</option>;
              })}
            </select>
          </label>
        ))}
      </div>
      {busy && <p className="mt-2 text-xs text-slate-400">Moving {ROLE_LABELS[busy].toLowerCase()}…</p>}
      {error && <p role="alert" className="mt-2 text-xs text-rose-300">{error}</p>}
    </section>
  );
}
