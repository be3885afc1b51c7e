"use client";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { LABEL } from "../../../lib/run-annotation";
import type { RouterOutputs } from "../../../server/trpc/router";
import { Markdown } from "../../lib/markdown";
import { trpc } from "../../lib/trpc";
import { messageOf } from "../common/message-of";
import { useNavigate } from "../common/navigation";
import { smallButton } from "../common/small-button";

type Run = RouterOutputs["run"]["get"];
const input = "rounded border border-slate-700 bg-slate-900 px-2 py-1 text-sm text-slate-200";

/** Filing a run: its name, star, labels, project, Markdown notes, archive and delete. */
export function RunNotes({ run, canEdit }: { run: Run; canEdit: boolean }) {
  const router = useRouter();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState(run.name);
  const [notes, setNotes] = useState(run.notes);
  const [editingNotes, setEditingNotes] = useState(false);
  const [label, setLabel] = useState("");
  const [project, setProject] = useState(run.project ?? "");
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState("");
  useEffect(() => setName(run.name), [run.name]);
  useEffect(() => setProject(run.project ?? ""), [run.project]);

  const save = async (change: Parameters<typeof trpc.run.annotate.mutate>[0]["change"]) => {
    try {
      await trpc.run.annotate.mutate({ id: run.id, change });
      setError(null);
      router.refresh();
      return true;
    } catch (e) {
      setError(messageOf(e));
      return false;
    }
  };
  const addLabel = async () => {
    const l = label.trim();
    if (!l) return;
    if (!LABEL.test(l)) return setError("A label is 1–40 letters, digits, spaces or _ . : / + -, starting with a letter or digit");
    if (await save({ labels: [...new Set([...run.labels, l])] })) setLabel("");
  };
  const remove = async () => {
    try {
      const { freedBytes } = await trpc.run.delete.mutate({ id: run.id, confirm: true });
      navigate(`/?deleted=${encodeURIComponent(run.name)}&freed=${freedBytes}`);
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <div className="space-y-3" data-testid="run-notes">
      <div className="flex flex-wrap items-center gap-2">
        <button type="button" aria-pressed={run.starred} disabled={!canEdit} onClick={() => save({ starred: !run.starred })}
          className={`text-lg leading-none ${run.starred ? "text-amber-300" : "text-slate-500 hover:text-slate-300"}`} title={run.starred ? "Unstar" : "Star: starred runs sort first"}>
          {run.starred ? "★" : "☆"}
        </button>
        <input aria-label="Run name" className={`${input} min-w-0 flex-1`} value={name} disabled={!canEdit} maxLength={100}
          onChange={(e) => setName(e.target.value)} onBlur={() => name.trim() && name !== run.name && save({ name })}
          onKeyDown={(e) => e.key === "Enter" && (e.target as HTMLInputElement).blur()} />
      </div>
      <div className="flex flex-wrap items-center gap-1.5" data-testid="run-labels">
        {run.labels.map((l) => (
          <span key={l} className="inline-flex items-center gap-1 rounded-full bg-indigo-500/15 px-2 py-0.5 text-xs text-indigo-200">
            {l}
            {canEdit && <button type="button" aria-label={`Remove label ${l}`} className="text-indigo-300 hover:text-white" onClick={() => save({ labels: run.labels.filter((x) => x !== l) })}>×</button>}
          </span>
        ))}
        {canEdit && (
          <input aria-label="Add a label" placeholder="+ label" className={`${input} w-28 py-0.5 text-xs`} value={label}
            onChange={(e) => setLabel(e.target.value)} onKeyDown={(e) => e.key === "Enter" && addLabel()} onBlur={() => label.trim() && addLabel()} />
        )}
      </div>
      <label className="flex items-center gap-2 text-xs text-slate-400">
        Project
        <input aria-label="Project" className={`${input} w-40 py-0.5 text-xs`} value={project} disabled={!canEdit} maxLength={60} placeholder="none"
          onChange={(e) => setProject(e.target.value)} onBlur={() => project !== (run.project ?? "") && save({ project: project.trim() || null })}
          onKeyDown={(e) => e.key === "Enter" && (e.target as HTMLInputElement).blur()} />
      </label>
      <div>
        <div className="mb-1 flex items-center gap-2 text-xs text-slate-400">
          Notes (Markdown)
          {canEdit && !editingNotes && <button type="button" className={smallButton} onClick={() => setEditingNotes(true)}>{run.notes ? "Edit" : "Add notes"}</button>}
        </div>
        {editingNotes ? (
          <div className="space-y-1">
            <textarea aria-label="Notes" className={`${input} h-32 w-full font-mono text-xs`} value={notes} maxLength={20_000} onChange={(e) => setNotes(e.target.value)} />
            <div className="flex gap-2">
              <button type="button" className={smallButton} onClick={async () => (await save({ notes })) && setEditingNotes(false)}>Save notes</button>
              <button type="button" className={smallButton} onClick={() => (setNotes(run.notes), setEditingNotes(false))}>Cancel</button>
            </div>
          </div>
        ) : run.notes ? <div data-testid="run-notes-text"><Markdown text={run.notes} /></div> : <p className="text-xs text-slate-500">No notes.</p>}
      </div>
      {canEdit && (
        <div className="flex flex-wrap items-center gap-2 border-t border-slate-800 pt-3">
          <button type="button" className={smallButton} onClick={() => save({ archived: !run.archived })}>{run.archived ? "Unarchive" : "Archive"}</button>
          {!confirming ? (
            <button type="button" className={`${smallButton} border-rose-700 text-rose-200`} onClick={() => setConfirming(true)}>Delete…</button>
          ) : (
            <span className="flex flex-wrap items-center gap-2 text-xs text-rose-200" role="group" aria-label="Confirm delete">
              Deletes its metrics, checkpoints and files. Type the run's name to confirm:
              <input aria-label="Type the run name to confirm" className={`${input} w-40 py-0.5 text-xs`} value={typed} onChange={(e) => setTyped(e.target.value)} />
              <button type="button" className={`${smallButton} border-rose-700`} disabled={typed !== run.name} onClick={remove}>Delete for good</button>
              <button type="button" className={smallButton} onClick={() => (setConfirming(false), setTyped(""))}>Cancel</button>
            </span>
          )}
        </div>
      )}
      {error && <p role="alert" className="text-sm text-rose-300">{error}</p>}
    </div>
  );
}
