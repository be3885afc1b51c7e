"use client";
import Link from "next/link";
import { fmtTime } from "../../lib/format";
import { smallButton } from "../common/small-button";
import type { Mute } from "./use-alerts";

/** Mutes in force: which type, for which run (or every run), until when; each can be lifted. */
export function MuteList({ mutes, onUnmute, runId }: { mutes: Mute[]; onUnmute: (id: number) => void; /** The page's run, named "this run". */ runId?: string }) {
  if (mutes.length === 0) return <p className="text-sm text-slate-500">No mutes in force.</p>;
  return (
    <ul className="space-y-1 text-sm" data-testid="mutes">
      {mutes.map((m) => (
        <li key={m.id} className="flex flex-wrap items-center gap-x-2" data-testid="mute">
          <span className="font-mono text-slate-200">{m.type === "*" ? "all types" : m.type}</span>
          <span className="text-slate-400">
            {m.runId === runId ? "on this run" : m.runId ? <>on <Link href={`/runs/${m.runId}`} className="font-mono text-indigo-300 hover:underline">{m.runId}</Link></> : "on every run"}
            {m.until ? `, until ${fmtTime(m.until)}` : ", until unmuted"}
          </span>
          <button onClick={() => onUnmute(m.id)} className={`ml-auto ${smallButton}`} data-testid="unmute">Unmute</button>
        </li>
      ))}
    </ul>
  );
}
