"use client";
import { useState } from "react";
import { MIN_PASSWORD } from "../../../lib/auth";
import { trpc } from "../../lib/trpc";
import { messageOf } from "../common/message-of";
import { field, FormError, primaryButton } from "./auth-form";

/** Creates the first admin and signs in as them; from then on everyone signs in. */
export function SetupForm({ token, needsToken }: { token: string; needsToken: boolean }) {
  const [form, setForm] = useState({ token, login: "", name: "", password: "" });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.target.value });

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await trpc.auth.setup.mutate({ ...form, token: form.token || undefined, name: form.name || form.login });
      window.location.href = "/";
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="space-y-4 rounded-lg border border-slate-800 bg-slate-900/40 p-6" data-testid="setup-form">
      {needsToken && (
        <label className="block space-y-1 text-sm text-slate-300">
          <span>Setup token <span className="text-xs text-slate-500">(printed in the server&apos;s log)</span></span>
          <input name="token" required value={form.token} onChange={set("token")} className={`${field} font-mono`} />
        </label>
      )}
      <label className="block space-y-1 text-sm text-slate-300">
        <span>Login name or email</span>
        <input name="login" autoComplete="username" required value={form.login} onChange={set("login")} className={field} />
      </label>
      <label className="block space-y-1 text-sm text-slate-300">
        <span>Display name</span>
        <input name="name" value={form.name} onChange={set("name")} placeholder="as shown in the header" className={field} />
      </label>
      <label className="block space-y-1 text-sm text-slate-300">
        <span>Password <span className="text-xs text-slate-500">(at least {MIN_PASSWORD} characters)</span></span>
        <input name="password" type="password" autoComplete="new-password" required value={form.password} onChange={set("password")} className={field} />
      </label>
      <FormError message={error} />
      <button type="submit" disabled={busy} className={primaryButton}>{busy ? "Creating…" : "Create admin and sign in"}</button>
    </form>
  );
}
