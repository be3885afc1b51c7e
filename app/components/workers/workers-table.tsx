"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { WORKER_HEARTBEAT_MS } from "../../../lib/worker-protocol";
import type { RouterOutputs } from "../../../server/trpc/router";
import { fmtBytes, fmtTime, fmtWhen } from "../../lib/format";
import { trpc } from "../../lib/trpc";
import { usePolled } from "../common/use-polled";

type Worker = RouterOutputs["worker"]["list"][number];
type State = Worker["state"];

const EVERY_MS = 2000;
/** Past two missed heartbeats the age turns amber: late, though its runs are still held. */
const LATE_MS = 2 * WORKER_HEARTBEAT_MS;

const STATE_STYLES: Record<State, string> = {
  idle: "bg-sky-500/15 text-sky-300 ring-sky-500/40",
  busy: "bg-emerald-500/15 text-emerald-300 ring-emerald-500/40",
  offline: "bg-rose-500/15 text-rose-300 ring-rose-500/40",
  left: "bg-slate-600/30 text-slate-400 ring-slate-500/40",
};
const HEARTBEAT_TONES = { ok: "text-slate-300", late: "text-amber-300", offline: "text-rose-300" };
/** Live workers first, then those that went quiet, then those that said goodbye. */
const STATE_ORDER: State[] = ["busy", "idle", "offline", "left"];

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export function fmtAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** The origin the browser reached this server at, known only once the page runs in the browser. */
function useOrigin(): string {
  const [origin, setOrigin] = useState("<this server's URL>");
  useEffect(() => setOrigin(window.location.origin), []);
  return origin;
}

/** The remote workers, refreshed every 2 s: what each machine has, what it does now, and whether it is still heard from. */
export function WorkersTable({ initial, serverVersion }: { initial: Worker[]; serverVersion: string }) {
  const { data, error } = usePolled(() => trpc.worker.list.query(), EVERY_MS, initial);
  const workers = [...(data ?? [])].sort((a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state));
  const live = workers.filter((w) => w.state === "idle" || w.state === "busy");
  return (
    <div className="space-y-4">
      {error && (
        <p role="alert" className="rounded-md border border-amber-500/40 bg-amber-500/10 px-3 py-2 text-sm text-amber-200">
          Could not refresh the workers ({error}); the table shows the last answer.
        </p>
      )}
      {workers.length === 0 ? (
        <div className="rounded-lg border border-dashed border-slate-700 p-10 text-slate-400" data-testid="workers-empty">
          <p className="text-center">No workers yet. A worker is a machine (usually one with GPUs) that pulls queued runs of its queues and trains them.</p>
          <StartCommand className="mx-auto mt-6 max-w-4xl" />
        </div>
      ) : (
        <>
          <p className="text-sm text-slate-400" data-testid="workers-count">
            {live.length} of {plural(workers.length, "worker")} live · {plural(live.reduce((n, w) => n + w.runs.length, 0), "run")} training
          </p>
          <div className="overflow-x-auto rounded-lg border border-slate-800">
            <table className="w-full text-sm" data-testid="workers-table">
              <thead className="bg-slate-900 text-left text-xs uppercase tracking-wide text-slate-400">
                <tr>
                  {["Worker", "State", "Heartbeat", "Queues", "Backends", "GPUs", "Machine", "Runs", "Version"].map((h) => (
                    <th key={h} className="whitespace-nowrap px-3 py-2 font-medium first:pl-4">{h}</th>
                  ))}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-800">
                {workers.map((w) => <WorkerRow key={w.id} w={w} serverVersion={serverVersion} />)}
              </tbody>
            </table>
          </div>
          <details className="rounded-lg border border-slate-800 px-4 py-3 text-sm">
            <summary className="cursor-pointer text-slate-300">Start another worker</summary>
            <StartCommand className="mt-3" />
          </details>
        </>
      )}
    </div>
  );
}

function WorkerRow({ w, serverVersion }: { w: Worker; serverVersion: string }) {
  const dim = w.state === "left" || w.state === "offline";
  return (
    <tr data-testid="worker-row" data-worker-id={w.id} data-state={w.state} className={`align-top hover:bg-slate-900/60 ${dim ? "text-slate-500" : ""}`}>
      <td className="whitespace-nowrap px-3 py-2 pl-4">
        <div className={`font-medium ${dim ? "text-slate-400" : "text-slate-100"}`} title={w.id}>{w.name}</div>
        <div className="font-mono text-xs text-slate-500">{w.host}</div>
      </td>
      <td className="px-3 py-2"><WorkerStateBadge state={w.state} /></td>
      <td className="whitespace-nowrap px-3 py-2">
        <Heartbeat w={w} />
        <div className="text-xs text-slate-500" title={fmtTime(w.startedAt)} data-testid="worker-started">started {fmtWhen(w.startedAt)}</div>
      </td>
      <td className="px-3 py-2">
        <div className="flex flex-wrap gap-1" data-testid="worker-queues">
          {w.queues.map((q) => <span key={q} className="rounded bg-slate-800 px-1.5 py-0.5 font-mono text-xs text-slate-200">{q}</span>)}
        </div>
      </td>
      <td className="px-3 py-2"><Backends w={w} /></td>
      <td className="px-3 py-2" data-testid="worker-gpus">
        {w.info.gpus.length === 0 ? <span className="text-slate-500">no GPU</span> : (
          <ul className="space-y-1">
            {gpuGroups(w.info.gpus).map((g) => (
              <li key={g.indices.join(",")} className="whitespace-nowrap">
                <div className={dim ? "" : "text-slate-200"} title={`CUDA device ${g.indices.join(", ")}`}>
                  {g.indices.length > 1 && <span className="font-mono text-slate-400">{g.indices.length} × </span>}{g.name}
                </div>
                <div className="font-mono text-xs text-slate-400">
                  {g.memoryBytes !== null ? fmtBytes(g.memoryBytes) : "memory ?"}{g.driver ? ` · driver ${g.driver}` : ""}
                </div>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td className="whitespace-nowrap px-3 py-2 font-mono text-xs tabular-nums" title={w.info.platform}>
        <div>{w.info.cores} cores · {fmtBytes(w.info.memoryBytes)}</div>
        <div className="text-slate-500">{w.info.platform}{w.info.sharedStorage ? " · shared storage" : ""}</div>
      </td>
      <td className="px-3 py-2" data-testid="worker-runs">
        <div className="whitespace-nowrap font-mono text-xs tabular-nums text-slate-400">
          {dim ? `at most ${w.maxRuns}` : `${w.runs.length} of ${plural(w.maxRuns, "slot")}`}
        </div>
        {w.runs.map((r) => (
          <Link key={r.id} href={`/runs/${r.id}`} className="block whitespace-nowrap text-indigo-300 hover:underline">
            {r.name} <span className="font-mono text-xs tabular-nums text-slate-400">{r.step}/{r.totalSteps}{r.backend ? ` · ${r.backend}` : ""}</span>
            {r.phase && r.phase !== "training" && (
              <span className="block max-w-64 truncate text-xs text-amber-200/80" title={r.detail ?? r.phase} data-testid="worker-run-phase">{r.detail || r.phase}</span>
            )}
          </Link>
        ))}
      </td>
      <td className="whitespace-nowrap px-3 py-2 pr-4 font-mono text-xs" data-testid="worker-version">
        {w.info.version === serverVersion ? w.info.version : (
          <span className="text-amber-300" title="Not the version this server runs: update the worker's checkout">
            {w.info.version || "?"}<span className="block text-slate-500">server {serverVersion}</span>
          </span>
        )}
      </td>
    </tr>
  );
}

export function WorkerStateBadge({ state }: { state: State }) {
  return (
    <span data-testid="worker-state" className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${STATE_STYLES[state]}`}>
      {state === "busy" && <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-emerald-400" />}
      {state}
    </span>
  );
}

function Heartbeat({ w }: { w: Worker }) {
  if (w.state === "left")
    return <span className="text-xs text-slate-500" data-testid="worker-heartbeat" title={fmtTime(w.leftAt)}>left {fmtAge(Date.now() - Date.parse(w.leftAt!))}</span>;
  const tone = w.state === "offline" ? "offline" : w.heartbeatAgeMs > LATE_MS ? "late" : "ok";
  return (
    <span className={`font-mono text-xs tabular-nums ${HEARTBEAT_TONES[tone]}`} data-testid="worker-heartbeat" data-tone={tone} title={fmtTime(w.heartbeatAt)}>
      {fmtAge(w.heartbeatAgeMs)}
    </span>
  );
}

/** The backends a trainer starts there, in the order auto tries them; the one auto takes stands out. */
function Backends({ w }: { w: Worker }) {
  if (w.info.backends.length === 0) return <span className="text-xs text-rose-300">none start</span>;
  return (
    <div className="flex max-w-44 flex-wrap gap-1" data-testid="worker-backends">
      {w.info.backends.map((b) => b === w.info.autoBackend ? (
        <span key={b} data-auto title="auto takes this one" className="rounded bg-indigo-500/20 px-1.5 py-0.5 font-mono text-xs text-indigo-200 ring-1 ring-inset ring-indigo-400/50">
          {b} <span className="text-indigo-300/70">auto</span>
        </span>
      ) : (
        <span key={b} className="rounded px-1.5 py-0.5 font-mono text-xs text-slate-400 ring-1 ring-inset ring-slate-700">{b}</span>
      ))}
    </div>
  );
}

type GpuGroup = { name: string; memoryBytes: number | null; driver: string | null; indices: number[] };

/** An 8-GPU box reads as one line, "8 × H100", rather than eight. */
function gpuGroups(gpus: Worker["info"]["gpus"]): GpuGroup[] {
  const groups = new Map<string, GpuGroup>();
  for (const g of gpus) {
    const key = JSON.stringify([g.name, g.memoryBytes, g.driver]);
    const group = groups.get(key) ?? { name: g.name, memoryBytes: g.memoryBytes, driver: g.driver, indices: [] };
    group.indices.push(g.index);
    groups.set(key, group);
  }
  return [...groups.values()];
}

function StartCommand({ className = "" }: { className?: string }) {
  const origin = useOrigin();
  const [copied, setCopied] = useState(false);
  const command = `npm run worker -- --server ${origin} --key <API key with write scope> --queue gpu`;
  return (
    <div className={`space-y-2 text-sm text-slate-400 ${className}`}>
      <p>On the worker machine, in a checkout of this project, run:</p>
      <div className="flex items-start gap-2">
        <code className="block flex-1 select-all whitespace-pre-wrap break-words rounded-md border border-slate-800 bg-slate-950 px-3 py-2 font-mono text-sm text-slate-100" data-testid="worker-command">
          {command}
        </code>
        <button type="button" onClick={() => navigator.clipboard?.writeText(command).then(() => setCopied(true), () => setCopied(false))}
          className="rounded-md border border-slate-600 px-3 py-2 text-xs hover:bg-slate-800">{copied ? "Copied" : "Copy"}</button>
      </div>
      <p>
        Make the key on the <Link href="/settings/keys" className="text-indigo-300 underline">API keys</Link> page with the <code className="text-slate-300">write</code> scope.
        {" "}<code className="text-slate-300">--queue</code> names what it pulls: a run whose <em>Run on</em> is <code className="text-slate-300">gpu</code> trains on the next such worker with a free slot.
        It shows up here within a heartbeat ({WORKER_HEARTBEAT_MS / 1000} s).
      </p>
    </div>
  );
}
