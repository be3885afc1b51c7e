"use client";
import Link from "next/link";
import { trpc } from "../../lib/trpc";
import { useMe } from "../../lib/use-me";

/** The header's right end: who is signed in with which role, their keys, the admins' Users page, sign out. */
export function AccountMenu() {
  const me = useMe();
  if (!me) return null;
  const admin = me.role === "admin";
  async function signOut() {
    await trpc.auth.logout.mutate();
    window.location.href = "/login";
  }
  return (
    <div className="flex flex-wrap items-center gap-x-4 gap-y-2 whitespace-nowrap text-sm" data-testid="account">
      {admin && <Link href="/users" className="text-slate-400 hover:text-slate-100">Users</Link>}
      {me.mode === "local" && <span className="rounded-full bg-amber-500/15 px-2 py-0.5 text-xs font-medium text-amber-300 ring-1 ring-inset ring-amber-500/40">local mode</span>}
      {me.user && (
        <>
          <Link href="/settings/keys" className="text-slate-300 hover:text-slate-100" title="Your API keys" data-testid="account-user">
            {me.user.name} <span className="text-xs text-slate-500">· {me.user.role}</span>
          </Link>
          <button onClick={signOut} className="rounded border border-slate-600 px-2 py-0.5 text-xs text-slate-200 hover:bg-slate-800" data-testid="logout">Sign out</button>
        </>
      )}
    </div>
  );
}
