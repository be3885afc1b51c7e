"use client";
import { useState } from "react";
import { trpc } from "../../lib/trpc";
import { messageOf } from "../common/message-of";
import { field, FormError, primaryButton } from "./auth-form";

/** Signs in, then goes where the visitor was headed (a path on this site, checked by the server page). */
export function LoginForm({ next }: { next: string }) {
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await trpc.auth.login.mutate({ login, password });
      window.location.href = next;
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="space-y-4 rounded-lg border border-slate-800 bg-slate-900/40 p-6" data-testid="login-form">
      <label className="block space-y-1 text-sm text-slate-300">
        <span>Login name or email</span>
        <input name="login" autoComplete="username" autoFocus required value={login} onChange={(e) => setLogin(e.target.value)} className={field} />
      </label>
      <label className="block space-y-1 text-sm text-slate-300">
        <span>Password</span>
        <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} className={field} />
      </label>
      <FormError message={error} />
      <button type="submit" disabled={busy} className={primaryButton}>{busy ? "Signing in…" : "Sign in"}</button>
    </form>
  );
}
