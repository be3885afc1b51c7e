"use client";
import { useEffect, useState } from "react";
import type { RouterOutputs } from "../../../server/trpc/router";
import { fmtBytes, fmtInt } from "../../lib/format";
import { trpc } from "../../lib/trpc";
import { uploadFile, uploadName } from "../../lib/upload";

type Job = RouterOutputs["tensorboard"]["get"];
const LIVE = ["importing", "following"];

/**
 * TensorBoard logs as runs: a folder on the server (optionally followed as it grows), or event
 * files uploaded from this machine. Shows the runs found, their scalar counts and progress.
 */
export function TensorboardImport() {
  const [folder, setFolder] = useState("");
  const [follow, setFollow] = useState(true);
  const [job, setJob] = useState<Job | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!job || !LIVE.includes(job.state)) return;
    const t = setTimeout(() => trpc.tensorboard.get.query({ id: job.id }).then(setJob, (e: Error) => setError(e.message)), 1000);
    return () => clearTimeout(t);
  }, [job]);

  async function run(what: string, work: () => Promise<Job>) {
    setBusy(what);
    setError(null);
    try {
      setJob(await work());
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  }

  const importFolder = () => run("Reading the folder…", () => trpc.tensorboard.import.mutate({ path: folder, follow }));

  function upload(files: FileList | null) {
    const picked = [...(files ?? [])].filter((f) => f.name.includes("tfevents"));
    if (picked.length === 0) return setError('None of the chosen files is an event file (their names contain "tfevents")');
    const top = (picked[0].webkitRelativePath || picked[0].name).split("/")[0];
    const batch = `${uploadName(top).slice(0, 60)}-${Math.random().toString(36).slice(2, 8)}`;
    void run("Uploading…", async () => {
      for (const [i, f] of picked.entries()) {
        setBusy(`Uploading ${i + 1} of ${picked.length}…`);
        // The folder inside the chosen one is kept: each folder of event files is a run.
        const parts = (f.webkitRelativePath || f.name).split("/").slice(f.webkitRelativePath ? 1 : 0).map(uploadName);
        await uploadFile(`/api/upload/tfevents/${batch}/${parts.map(encodeURIComponent).join("/")}`, f);
      }
      return trpc.tensorboard.importUpload.mutate({ batch, name: top.slice(0, 200) || "upload" });
    });
  }

  return (
    <section className="space-y-3 rounded-lg border border-slate-800 p-4" data-testid="tensorboard-import">
      <h2 className="text-sm font-semibold text-slate-300">Import TensorBoard logs</h2>
      <div className="flex flex-wrap items-center gap-2">
        <input value={folder} onChange={(e) => setFolder(e.target.value)} placeholder="/path/to/logdir (on the server)" aria-label="Log directory"
          className="min-w-[20rem] flex-1 rounded-md border border-slate-700 bg-slate-950 px-2 py-1 font-mono text-sm text-slate-100" />
        <label className="flex items-center gap-1 text-sm text-slate-300">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> keep following
        </label>
        <button type="button" onClick={importFolder} disabled={!folder.trim() || busy !== null}
          className="rounded-md bg-indigo-500 px-3 py-1 text-sm font-medium text-white hover:bg-indigo-400 disabled:opacity-40">Import</button>
      </div>
      <label className="block text-sm text-slate-400">
        or upload a log folder from this computer:{" "}
        <input type="file" multiple {...{ webkitdirectory: "" }} disabled={busy !== null} onChange={(e) => upload(e.target.files)} className="text-xs" aria-label="Upload a log folder" />
      </label>
      {busy && <p className="text-sm text-slate-400">{busy}</p>}
      {error && <p role="alert" className="text-sm text-rose-300">{error}</p>}
      {job && <JobTable job={job} onStop={() => run("Stopping…", () => trpc.tensorboard.stopFollow.mutate({ importId: job.id }))} />}
    </section>
  );
}

function JobTable({ job, onStop }: { job: Job; onStop: () => void }) {
  return (
    <div className="space-y-2" data-testid="tensorboard-job">
      <p className="text-sm text-slate-300">
        {job.runs.length} run{job.runs.length === 1 ? "" : "s"} in <span className="font-mono">{job.root}</span>: {job.state}
        {job.state === "following" && (
          <button type="button" onClick={onStop} className="ml-2 rounded border border-slate-600 px-2 py-0.5 text-xs hover:bg-slate-800">Stop following</button>
        )}
      </p>
      {job.error && <p role="alert" className="text-sm text-rose-300">{job.error}</p>}
      <table className="w-full text-sm">
        <thead className="text-left text-xs uppercase text-slate-500">
          <tr><th className="py-1 pr-3">Run</th><th className="pr-3">Scalar tags</th><th className="pr-3">Points</th><th className="pr-3">Read</th><th>Problems</th></tr>
        </thead>
        <tbody className="font-mono tabular-nums">
          {job.runs.map((r) => (
            <tr key={r.runId} className="border-t border-slate-800 align-top">
              <td className="py-1 pr-3"><a href={`/runs/${r.runId}`} className="text-indigo-300 hover:underline">{r.name}</a></td>
              <td className="pr-3">{fmtInt(r.tags)}</td>
              <td className="pr-3">{fmtInt(r.points)}</td>
              <td className="pr-3 text-slate-400">{fmtBytes(r.bytesRead)} of {fmtBytes(r.bytesTotal)}</td>
              <td className="font-sans text-xs text-amber-300">{r.problems.map((p) => <div key={p}>{p}</div>)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
