"use client";
import { useState } from "react";
import { EVAL_TASKS, type EvalTask } from "../../../lib/eval/contracts";
import type { RouterOutputs } from "../../../server/trpc/router";
import { fmtInt, fmtTime } from "../../lib/format";
import { trpc } from "../../lib/trpc";
import { uploadFile, uploadName } from "../../lib/upload";

type Sets = RouterOutputs["evalSet"]["list"];

/** Registered benchmark files, and a form that registers one by path or upload (parsed in full first). */
export function EvalSets({ initial }: { initial: Sets }) {
  const [sets, setSets] = useState(initial);
  const [task, setTask] = useState<EvalTask>("hellaswag");
  const [name, setName] = useState("");
  const [path, setPath] = useState("");
  const [upload, setUpload] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function register(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const label = name.trim() || upload?.name || path.split("/").pop() || task;
      // An upload is streamed to DATA_DIR/uploads first, then registered by the path it landed at.
      const file = upload ? (await uploadFile(`/api/upload/evalset/${uploadName(upload.name)}`, upload)).path : path;
      await trpc.evalSet.register.mutate({ task, name: label, path: file });
      setSets(await trpc.evalSet.list.query());
      setPath("");
      setUpload(null);
      setName("");
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  const input = "rounded-md border border-slate-700 bg-slate-950 px-2 py-1 font-mono text-sm text-slate-100";
  return (
    <div className="space-y-6">
      <form onSubmit={register} className="space-y-3 rounded-lg border border-slate-800 p-4" data-testid="eval-register">
        <h2 className="text-sm font-semibold text-slate-300">Register a benchmark file</h2>
        <div className="flex flex-wrap items-end gap-3">
          <label className="text-sm text-slate-300">Task<br />
            <select value={task} onChange={(e) => setTask(e.target.value as EvalTask)} className={input}>{EVAL_TASKS.map((t) => <option key={t}>{t}</option>)}</select>
          </label>
          <label className="text-sm text-slate-300">Name<br /><input value={name} onChange={(e) => setName(e.target.value)} placeholder="hellaswag val" className={input} /></label>
          <label className="flex-1 text-sm text-slate-300">Path on the server (inside DATA_DIR or IMPORT_ROOTS)<br />
            <input value={path} disabled={Boolean(upload)} onChange={(e) => setPath(e.target.value)} placeholder="evalsets/hellaswag_val.jsonl" className={`w-full ${input}`} />
          </label>
          <label className="text-sm text-slate-300">or upload<br />
            <input type="file" accept=".jsonl,.json,.txt" className="text-xs text-slate-400"
              onChange={(e) => setUpload(e.target.files?.[0] ?? null)} data-testid="eval-upload" />
          </label>
          <button disabled={busy || (!path && !upload)} className="rounded-md bg-indigo-500 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-400 disabled:opacity-40">
            {busy ? "Checking…" : "Register"}
          </button>
        </div>
        {error && <p role="alert" className="text-sm text-rose-300">{error}</p>}
        <p className="text-xs text-slate-500">
          The real sets are public: LAMBADA (the OpenAI jsonl of <code>lambada_openai</code>), HellaSwag (<code>hellaswag_val.jsonl</code> from the authors&apos; repository),
          PIQA (<code>valid.jsonl</code> with its labels merged into a <code>label</code> field), ARC-Easy (the AI2 jsonl, original or flattened shape). Every line is parsed before a file is accepted.
        </p>
      </form>
      <div className="overflow-x-auto rounded-lg border border-slate-800">
        <table className="w-full text-sm" data-testid="eval-sets">
          <thead className="bg-slate-900 text-left text-xs uppercase text-slate-400"><tr>{["Task", "Name", "Examples", "Path", "Registered"].map((h) => <th key={h} className="px-4 py-2 font-medium">{h}</th>)}</tr></thead>
          <tbody className="divide-y divide-slate-800">
            <tr><td className="px-4 py-2">lambada, hellaswag</td><td className="px-4 py-2 text-amber-300">synthetic (built in)</td><td className="px-4 py-2 text-slate-400">per run</td><td className="px-4 py-2 text-slate-400" colSpan={2}>made from each dataset&apos;s held-out split; labelled synthetic wherever shown</td></tr>
            {sets.map((s) => (
              <tr key={s.id}><td className="px-4 py-2">{s.task}</td><td className="px-4 py-2">{s.name}</td><td className="px-4 py-2 font-mono">{fmtInt(s.examples)}</td>
                <td className="px-4 py-2 font-mono text-xs text-slate-400">{s.path}</td><td className="px-4 py-2 text-slate-400">{fmtTime(s.createdAt)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
