"use client";
import { useCallback, useEffect, useState } from "react";
import { ROLE_SCOPES, SCOPES, type Scope } from "../../../lib/auth";
import type { RouterOutputs } from "../../../server/trpc/router";
import { fmtTime } from "../../lib/format";
import { trpc } from "../../lib/trpc";
import { useMe } from "../../lib/use-me";
import { messageOf } from "../common/message-of";
import { smallButton } from "../common/small-button";

type Key = RouterOutputs["apiKey"]["list"][number];

const SCOPE_HELP: Record<Scope, string> = { read: "see runs, metrics, datasets", write: "start and stop runs, record data", admin: "manage users, keys, global webhooks" };
const input = "rounded-md border border-slate-700 bg-slate-950 px-2 py-1 text-sm text-slate-100";

/** The signed-in user's API keys: make one (its secret is shown this once), see when each was used, revoke. */
export function ApiKeys() {
  const me = useMe();
  const [keys, setKeys] = useState<Key[] | null>(null);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Scope[]>(["read"]);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => trpc.apiKey.list.query().then(setKeys, (e) => setError(messageOf(e))), []);
  useEffect(() => void refresh(), [refresh]);

  if (me && !me.user) {
    return <p className="text-sm text-slate-400">API keys belong to users. {me.mode === "local" ? "In local mode nobody signs in; create an admin first (Users page)." : "Sign in first."}</p>;
  }
  const allowed = me?.user ? ROLE_SCOPES[me.user.role] : [];

  async function create(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    setCopied(false);
    try {
      const k = await trpc.apiKey.create.mutate({ name, scopes });
      setCreated({ name: k.name, key: k.key });
      setName("");
      await refresh();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  async function revoke(id: string) {
    setError(null);
    try {
      await trpc.apiKey.revoke.mutate({ id });
      await refresh();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  async function copy(key: string) {
    await navigator.clipboard.writeText(key).then(() => setCopied(true), (e) => setError(`Could not copy: ${messageOf(e)}`));
  }

  return (
    <div className="space-y-6">
      <form onSubmit={create} className="space-y-3 rounded-lg border border-slate-800 p-4" data-testid="key-create">
        <h2 className="text-sm font-semibold text-slate-300">New API key</h2>
        <div className="flex flex-wrap items-end gap-4">
          <label className="text-sm text-slate-300">Name<br />
            <input value={name} required onChange={(e) => setName(e.target.value)} placeholder="gpu-worker-1" className={input} data-testid="key-name" />
          </label>
          <fieldset className="flex gap-4 text-sm text-slate-300">
            {SCOPES.map((s) => (
              <label key={s} className={`flex items-center gap-1.5 ${allowed.includes(s) ? "" : "opacity-40"}`} title={SCOPE_HELP[s]}>
                <input type="checkbox" disabled={!allowed.includes(s)} checked={scopes.includes(s)} data-testid={`scope-${s}`}
                  onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))} />
                {s}
              </label>
            ))}
          </fieldset>
          <button disabled={!name || scopes.length === 0} className="rounded-md bg-indigo-500 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-400 disabled:opacity-40">Create key</button>
        </div>
        <p className="text-xs text-slate-500">Send it as <code className="font-mono">Authorization: Bearer &lt;key&gt;</code>, or as the password of HTTP Basic. Each scope grants only itself.</p>
        {created && (
          <div className="space-y-2 rounded-md border border-emerald-500/40 bg-emerald-500/10 p-3 text-sm" data-testid="key-created">
            <p className="text-emerald-200">Key <span className="font-medium">{created.name}</span> created. Copy it now: it is not shown again.</p>
            <div className="flex items-center gap-2">
              <code className="flex-1 break-all rounded bg-slate-950 px-2 py-1 font-mono text-xs text-slate-100" data-testid="key-secret">{created.key}</code>
              <button type="button" onClick={() => copy(created.key)} className={smallButton}>{copied ? "Copied" : "Copy"}</button>
              <button type="button" onClick={() => setCreated(null)} className={smallButton}>Done</button>
            </div>
          </div>
        )}
        {error && <p role="alert" className="text-sm text-rose-300">{error}</p>}
      </form>

      <section className="rounded-lg border border-slate-800">
        <table className="w-full text-sm" data-testid="keys">
          <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
            <tr><th className="px-4 py-2">Name</th><th className="px-4 py-2">Key</th><th className="px-4 py-2">Scopes</th><th className="px-4 py-2">Created</th><th className="px-4 py-2">Last used</th><th className="px-4 py-2" /></tr>
          </thead>
          <tbody>
            {keys?.length === 0 && <tr><td colSpan={6} className="px-4 py-3 text-slate-500">No keys yet.</td></tr>}
            {keys?.map((k) => (
              <tr key={k.id} className={`border-t border-slate-800 ${k.revokedAt ? "text-slate-500" : "text-slate-200"}`} data-testid="key-row">
                <td className="px-4 py-2">{k.name}</td>
                <td className="px-4 py-2 font-mono text-xs">{k.prefix}_…</td>
                <td className="px-4 py-2">{k.scopes.join(", ")}</td>
                <td className="px-4 py-2">{fmtTime(k.createdAt)}</td>
                <td className="px-4 py-2">{k.lastUsedAt ? fmtTime(k.lastUsedAt) : "never"}</td>
                <td className="px-4 py-2 text-right">
                  {k.revokedAt ? <span className="text-xs">revoked {fmtTime(k.revokedAt)}</span> : <button onClick={() => revoke(k.id)} className={smallButton} data-testid="key-revoke">Revoke</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
