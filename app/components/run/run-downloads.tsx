"use client";

/** A run's metrics as files, under their original names (server/http/run-export-api.ts). */
export function RunDownloads({ runId }: { runId: string }) {
  const base = `/api/runs/${encodeURIComponent(runId)}/metrics`;
  return (
    <details className="relative" data-testid="run-downloads">
      <summary className="cursor-pointer list-none rounded-md border border-slate-600 px-3 py-1.5 text-sm hover:bg-slate-800">Download metrics</summary>
      <div className="absolute right-0 z-10 mt-1 flex w-56 flex-col rounded-md border border-slate-700 bg-slate-900 p-1 text-sm shadow-lg">
        <a href={`${base}.csv`} download className="rounded px-2 py-1 hover:bg-slate-800" title="step,key,value,wall_time">CSV</a>
        <a href={`${base}.tfevents`} download className="rounded px-2 py-1 hover:bg-slate-800" title="Opens in TensorBoard: put it in a log folder">TensorBoard event file</a>
      </div>
    </details>
  );
}
