"use client";
import { useCallback, useEffect, useState } from "react";
import { MIN_PASSWORD, ROLES, type Role } from "../../../lib/auth";
import type { RouterOutputs } from "../../../server/trpc/router";
import { fmtTime } from "../../lib/format";
import { trpc } from "../../lib/trpc";
import { useMe } from "../../lib/use-me";
import { messageOf } from "../common/message-of";
import { smallButton } from "../common/small-button";

type User = RouterOutputs["user"]["list"][number];

const input = "rounded-md border border-slate-700 bg-slate-950 px-2 py-1 text-sm text-slate-100";
const ROLE_HELP: Record<Role, string> = { viewer: "sees everything, changes nothing", member: "also starts and stops runs", admin: "also manages users, keys and global webhooks" };

/** Admins add users, change roles, disable accounts and set new passwords. */
export function UsersAdmin() {
  const me = useMe();
  const [users, setUsers] = useState<User[] | null>(null);
  const [form, setForm] = useState({ login: "", name: "", password: "", role: "member" as Role });
  const [resetFor, setResetFor] = useState<{ id: string; password: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const refresh = useCallback(() => trpc.user.list.query().then(setUsers, (e) => setError(messageOf(e))), []);
  useEffect(() => void refresh(), [refresh]);

  async function act(what: () => Promise<unknown>, done?: string) {
    setError(null);
    setNotice(null);
    try {
      await what();
      if (done) setNotice(done);
      await refresh();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  const first = users?.length === 0;
  return (
    <div className="space-y-6">
      {me?.mode === "local" && (
        <p className="rounded-md border border-amber-500/30 bg-amber-500/10 px-3 py-2 text-sm text-amber-200">
          The first user must be an admin. Creating it turns sign-in on, on this machine too: you will sign in with it next.
        </p>
      )}
      <form className="space-y-3 rounded-lg border border-slate-800 p-4" data-testid="user-create"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            await trpc.user.create.mutate({ ...form, name: form.name || form.login, role: first ? "admin" : form.role });
            setForm({ login: "", name: "", password: "", role: "member" });
            if (me?.mode === "local") window.location.href = "/login";
          }, `Created ${form.login}.`);
        }}>
        <h2 className="text-sm font-semibold text-slate-300">New user</h2>
        <div className="flex flex-wrap items-end gap-3">
          <label className="text-sm text-slate-300">Login name or email<br /><input required value={form.login} onChange={(e) => setForm({ ...form, login: e.target.value })} className={input} data-testid="user-login" /></label>
          <label className="text-sm text-slate-300">Display name<br /><input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} className={input} /></label>
          <label className="text-sm text-slate-300">Password ({MIN_PASSWORD}+ characters)<br /><input type="password" autoComplete="new-password" required value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} className={input} data-testid="user-password" /></label>
          <label className="text-sm text-slate-300">Role<br />
            <select value={first ? "admin" : form.role} disabled={first} onChange={(e) => setForm({ ...form, role: e.target.value as Role })} className={input} data-testid="user-role">
              {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </label>
          <button className="rounded-md bg-indigo-500 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-400">Create user</button>
        </div>
        <p className="text-xs text-slate-500">{ROLES.map((r) => `${r}: ${ROLE_HELP[r]}`).join(" · ")}</p>
      </form>
      {error && <p role="alert" className="text-sm text-rose-300" data-testid="users-error">{error}</p>}
      {notice && <p className="text-sm text-emerald-300">{notice}</p>}

      <section className="rounded-lg border border-slate-800">
        <table className="w-full text-sm" data-testid="users">
          <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
            <tr><th className="px-4 py-2">Login</th><th className="px-4 py-2">Name</th><th className="px-4 py-2">Role</th><th className="px-4 py-2">Created</th><th className="px-4 py-2">Status</th><th className="px-4 py-2" /></tr>
          </thead>
          <tbody>
            {users?.length === 0 && <tr><td colSpan={6} className="px-4 py-3 text-slate-500">No users yet: local mode.</td></tr>}
            {users?.map((u) => (
              <tr key={u.id} className={`border-t border-slate-800 ${u.disabled ? "text-slate-500" : "text-slate-200"}`} data-testid="user-row">
                <td className="px-4 py-2 font-mono text-xs">{u.login}{me?.user?.id === u.id && <span className="ml-1 text-slate-500">(you)</span>}</td>
                <td className="px-4 py-2">{u.name}</td>
                <td className="px-4 py-2">
                  <select value={u.role} aria-label={`Role of ${u.login}`} onChange={(e) => act(() => trpc.user.update.mutate({ id: u.id, role: e.target.value as Role }), `${u.login} is now ${e.target.value}.`)}
                    className="rounded border border-slate-700 bg-slate-950 px-2 py-0.5 text-sm text-slate-200">
                    {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
                  </select>
                </td>
                <td className="px-4 py-2">{fmtTime(u.createdAt)}</td>
                <td className="px-4 py-2">{u.disabled ? "disabled" : "active"}</td>
                <td className="space-x-2 px-4 py-2 text-right whitespace-nowrap">
                  {resetFor?.id === u.id ? (
                    <form className="inline-flex gap-2" onSubmit={(e) => { e.preventDefault(); void act(async () => { await trpc.user.resetPassword.mutate(resetFor); setResetFor(null); }, `New password set for ${u.login}; their sessions ended.`); }}>
                      <input type="password" autoComplete="new-password" autoFocus placeholder="new password" value={resetFor.password} onChange={(e) => setResetFor({ id: u.id, password: e.target.value })} className={`${input} py-0.5 text-xs`} />
                      <button className={smallButton}>Set</button>
                      <button type="button" onClick={() => setResetFor(null)} className={smallButton}>Cancel</button>
                    </form>
                  ) : (
                    <button onClick={() => setResetFor({ id: u.id, password: "" })} className={smallButton}>Reset password</button>
                  )}
                  <button onClick={() => act(() => trpc.user.update.mutate({ id: u.id, disabled: !u.disabled }), `${u.login} ${u.disabled ? "enabled" : "disabled"}.`)} className={smallButton}>
                    {u.disabled ? "Enable" : "Disable"}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
