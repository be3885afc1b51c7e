"use client";
import { useCallback, useEffect, useState } from "react";
import { SEVERITIES, type Severity } from "../../../lib/anomaly/types";
import type { RouterOutputs } from "../../../server/trpc/router";
import { serverFieldErrors, trpc } from "../../lib/trpc";
import { smallButton } from "../common/small-button";

type Hook = RouterOutputs["webhook"]["list"][number];
type TestResult = RouterOutputs["webhook"]["test"];
const FORMATS = ["json", "slack"] as const;
const input = "rounded-md border border-slate-700 bg-slate-950 px-2 py-1 text-sm text-slate-100";

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function describe(r: TestResult): string {
  const http = r.httpStatus === null ? "" : ` (HTTP ${r.httpStatus})`;
  return r.status === "delivered" ? `delivered${http}` : `failed${http}: ${r.error ?? "no answer"}`;
}

/** Webhooks of one run (runId) or the global ones (null): add, enable/disable, send a test, remove. */
export function WebhooksPanel({ runId }: { runId: string | null }) {
  const [hooks, setHooks] = useState<Hook[]>([]);
  const [url, setUrl] = useState("");
  const [format, setFormat] = useState<(typeof FORMATS)[number]>("json");
  const [minSeverity, setMinSeverity] = useState<Severity>("warning");
  const [tests, setTests] = useState<Record<number, string>>({});
  const [error, setError] = useState<string | null>(null);

  // The list for a run includes the global hooks; this panel manages only its own scope's.
  const load = useCallback(async () => setHooks((await trpc.webhook.list.query({ runId })).filter((h) => h.runId === runId)), [runId]);

  useEffect(() => {
    load().catch((e: unknown) => setError(`Could not load webhooks: ${message(e)}`));
  }, [load]);

  async function act(action: () => Promise<unknown>) {
    setError(null);
    try {
      await action();
      await load();
    } catch (e) {
      setError(serverFieldErrors(e)?.url ?? message(e));
    }
  }

  async function add(e: React.FormEvent) {
    e.preventDefault();
    await act(async () => {
      await trpc.webhook.create.mutate({ runId, url, format, minSeverity });
      setUrl("");
    });
  }

  async function test(id: number) {
    const show = (text: string) => setTests((t) => ({ ...t, [id]: text }));
    show("sending…");
    try {
      show(describe(await trpc.webhook.test.mutate({ id })));
    } catch (e) {
      show(`failed: ${message(e)}`);
    }
  }

  return (
    <div className="space-y-3" data-testid={runId ? "run-webhooks" : "global-webhooks"}>
      {hooks.length === 0 ? (
        <p className="text-sm text-slate-500">{runId ? "No webhooks for this run (global ones on the Alerts page still apply)." : "No global webhooks."}</p>
      ) : (
        <ul className="space-y-2">
          {hooks.map((h) => (
            <li key={h.id} className="rounded-md border border-slate-800 px-3 py-2 text-sm" data-testid="webhook">
              <p className="truncate font-mono text-slate-200" title={h.url}><span className="text-slate-500">#{h.id}</span> {h.url}</p>
              <div className="mt-1 flex flex-wrap items-center gap-x-3 gap-y-1">
                <span className="text-xs text-slate-400">{h.format} · {h.minSeverity} and up</span>
                <span className="flex-1" />
                <label className="flex items-center gap-1 text-xs text-slate-300">
                  <input type="checkbox" checked={h.enabled} onChange={(e) => act(() => trpc.webhook.update.mutate({ id: h.id, enabled: e.target.checked }))} />
                  enabled
                </label>
                <button onClick={() => test(h.id)} className={smallButton} data-testid="webhook-test">Send test</button>
                <button onClick={() => act(() => trpc.webhook.remove.mutate({ id: h.id }))} className={smallButton} data-testid="webhook-remove">Remove</button>
              </div>
              {tests[h.id] && (
                <p className={`mt-1 text-xs ${tests[h.id].startsWith("failed") ? "text-rose-300" : "text-emerald-300"}`} data-testid="webhook-test-result">
                  Test: {tests[h.id]}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add} className="flex flex-wrap items-center gap-2" data-testid="webhook-form">
        <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://hooks.example.com/…" aria-label="Webhook URL"
          className={`min-w-48 flex-1 font-mono ${input}`} data-testid="webhook-url" />
        <select value={format} onChange={(e) => setFormat(e.target.value as typeof format)} aria-label="Format" className={input} data-testid="webhook-format">
          {FORMATS.map((f) => <option key={f}>{f}</option>)}
        </select>
        <select value={minSeverity} onChange={(e) => setMinSeverity(e.target.value as Severity)} aria-label="Lowest severity sent" className={input} data-testid="webhook-severity">
          {SEVERITIES.map((s) => <option key={s} value={s}>{s} and up</option>)}
        </select>
        <button disabled={!url.trim()} className="rounded-md bg-indigo-500 px-3 py-1 text-sm font-medium text-white hover:bg-indigo-400 disabled:opacity-40" data-testid="webhook-add">
          Add webhook
        </button>
      </form>
      {error && <p role="alert" className="text-sm text-rose-300">{error}</p>}
    </div>
  );
}
