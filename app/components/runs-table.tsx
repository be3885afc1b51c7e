"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { EV } from "../../lib/protocol";
import type { RouterOutputs } from "../../server/trpc/router";
import { fmtInt, fmtNumber, fmtTime } from "../lib/format";
import { liveSocket } from "../lib/socket";
import { StatusBadge } from "./status-badge";

type Run = RouterOutputs["run"]["list"][number];

export function RunsTable({ initial }: { initial: Run[] }) {
  const [runs, setRuns] = useState(initial);
  useEffect(() => {
    const socket = liveSocket();
    const join = () => socket.emit(EV.runsSubscribe);
    const update = (run: Run) =>
      setRuns((rows) => (rows.some((r) => r.id === run.id) ? rows.map((r) => (r.id === run.id ? run : r)) : [run, ...rows]));
    join();
    socket.on("connect", join);
    socket.on(EV.runStatus, update);
    return () => {
      socket.off("connect", join);
      socket.off(EV.runStatus, update);
    };
  }, []);

  if (runs.length === 0)
    return (
      <div className="rounded-lg border border-dashed border-slate-700 p-12 text-center text-slate-400">
        No runs yet. <Link href="/runs/new" className="text-indigo-300 underline">Start one</Link> — the default config trains a tiny GPT in a few minutes on CPU.
      </div>
    );

  return (
    <div className="overflow-x-auto rounded-lg border border-slate-800">
      <table className="w-full text-sm" data-testid="runs-table">
        <thead className="bg-slate-900 text-left text-xs uppercase tracking-wide text-slate-400">
          <tr>
            {["Name", "Status", "Step", "Last loss", "Tokens/s", "Backend", "Started"].map((h) => (
              <th key={h} className="px-4 py-2 font-medium">{h}</th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-800">
          {runs.map((r) => (
            <tr key={r.id} className="hover:bg-slate-900/60">
              <td className="px-4 py-2">
                <Link href={`/runs/${r.id}`} className="font-medium text-indigo-300 hover:underline">{r.name}</Link>
              </td>
              <td className="px-4 py-2"><StatusBadge status={r.status} /></td>
              <td className="px-4 py-2 font-mono tabular-nums">
                <Progress step={r.step} total={r.totalSteps} />
              </td>
              <td className="px-4 py-2 font-mono tabular-nums">{fmtNumber(r.lastLoss, 4)}</td>
              <td className="px-4 py-2 font-mono tabular-nums">{fmtInt(r.tokensPerSec)}</td>
              <td className="px-4 py-2 font-mono text-slate-300">{r.backend ?? "—"}</td>
              <td className="px-4 py-2 text-slate-400">{fmtTime(r.startedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Progress({ step, total }: { step: number; total: number }) {
  const pct = Math.min(100, (100 * step) / Math.max(1, total));
  return (
    <div className="flex items-center gap-2">
      <div className="h-1.5 w-24 overflow-hidden rounded bg-slate-800">
        <div className="h-full bg-indigo-400" style={{ width: `${pct}%` }} />
      </div>
      <span>{step}/{total}</span>
    </div>
  );
}
