"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { trpc } from "../../lib/trpc";

/** Worker names by id, asked for once per new set of ids (the runs name only the id). */
export function useWorkerNames(ids: (string | null)[]): Map<string, string> {
  const [names, setNames] = useState(new Map<string, string>());
  const key = [...new Set(ids.filter((id): id is string => id !== null))].sort().join(",");
  useEffect(() => {
    if (!key) return;
    let live = true;
    trpc.worker.list.query().then(
      (workers) => live && setNames(new Map(workers.map((w) => [w.id, w.name]))),
      (e) => console.error("loading worker names failed:", e),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return names;
}

/** Where a run trains when not on this server: its queue, and the worker that took it. */
export function RunPlace({ queue, workerId, workerName, className = "" }: {
  queue: string | null; workerId: string | null; workerName?: string; className?: string;
}) {
  if (queue === null && workerId === null) return null;
  return (
    <span className={`text-xs text-slate-400 ${className}`} data-testid="run-place">
      {queue !== null && <>on queue <span className="font-mono text-slate-200">{queue}</span></>}
      {queue !== null && workerId !== null && " · "}
      {workerId !== null && (
        <>on worker <Link href="/workers" className="font-medium text-indigo-300 hover:underline" title={workerId}>{workerName ?? workerId}</Link></>
      )}
    </span>
  );
}
