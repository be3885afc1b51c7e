"use client";
import { useEffect, useState } from "react";
import { MAX_COMPARED_CHECKPOINTS } from "../../../lib/generation";
import { trpc } from "../../lib/trpc";
import { ColumnHead, type Column, type RunOption } from "./checkpoint-compare-column";
import { refKey, type CheckpointRef } from "./checkpoint-params";

const control = "rounded-md border border-slate-700 bg-slate-950 px-2.5 py-1.5 text-sm text-slate-100 outline-none focus:ring-2 focus:ring-indigo-500/40 disabled:opacity-40";

/** The chosen checkpoints as removable chips, and a run → step picker to add one. */
export function CheckpointComparePicker({ runs, selected, columns, onChange }: {
  runs: RunOption[]; selected: CheckpointRef[]; columns: Column[]; onChange: (next: CheckpointRef[]) => void;
}) {
  const [runId, setRunId] = useState(selected.at(-1)?.runId ?? runs[0]?.id ?? "");
  // Keyed by run, so a list still loading never offers the previous run's steps.
  const [loaded, setLoaded] = useState<{ runId: string; steps: number[] } | null>(null);
  const [step, setStep] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const full = selected.length >= MAX_COMPARED_CHECKPOINTS;

  useEffect(() => {
    if (!runId) return;
    let live = true;
    setError(null);
    trpc.checkpoint.list.query({ runId }).then(
      (rows) => {
        if (!live) return;
        const all = rows.map((r) => r.step).sort((x, y) => x - y);
        setLoaded({ runId, steps: all });
        setStep(all.find((s) => !selected.some((c) => c.runId === runId && c.step === s)) ?? all.at(-1) ?? null);
      },
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [runId]); // the default step is chosen once per run, not again as the selection changes

  const steps = loaded?.runId === runId ? loaded.steps : null;
  const chosen = steps && step !== null ? { runId, step } : null;
  const already = chosen !== null && selected.some((c) => refKey(c) === refKey(chosen));
  const name = (id: string) => runs.find((r) => r.id === id)?.name ?? id;
  return (
    <section className="flex flex-wrap items-center gap-2 rounded-lg border border-slate-800 bg-slate-900/40 px-4 py-3" data-testid="checkpoint-picker">
      {selected.map((c, i) => (
        <span key={refKey(c)} data-testid="checkpoint-chip" data-ref={refKey(c)}
          className="inline-flex max-w-72 items-center gap-1 rounded-full border border-slate-700 bg-slate-900 py-0.5 pl-1.5 pr-1 text-sm">
          {columns[i] ? <ColumnHead column={columns[i]} baseline={i === 0} /> : <span className="font-mono text-slate-300">{name(c.runId)}@{c.step}</span>}
          <button onClick={() => onChange(selected.filter((_, j) => j !== i))} title="Remove" aria-label={`Remove ${refKey(c)}`}
            className="ml-1 rounded-full px-1.5 text-slate-400 hover:bg-slate-700 hover:text-slate-100" data-testid={`remove-${i}`}>×</button>
        </span>
      ))}
      <span className="mx-1 h-6 w-px bg-slate-800" />
      <select value={runId} onChange={(e) => setRunId(e.target.value)} className={`${control} max-w-56`} data-testid="pick-run" disabled={full}>
        {runs.length === 0 && <option value="">No runs yet</option>}
        {runs.map((r) => <option key={r.id} value={r.id}>{r.name} ({r.status})</option>)}
      </select>
      <select value={step ?? ""} onChange={(e) => setStep(Number(e.target.value))} className={control} data-testid="pick-step" data-run={steps ? runId : ""} disabled={full || !steps?.length}>
        {steps === null ? <option value="">loading…</option> : steps.length === 0 ? <option value="">no checkpoints</option> : null}
        {steps?.map((s) => <option key={s} value={s}>step {s}</option>)}
      </select>
      <button onClick={() => chosen && onChange([...selected, chosen])} disabled={full || !chosen || already} data-testid="pick-add"
        title={full ? `At most ${MAX_COMPARED_CHECKPOINTS} checkpoints` : already ? "Already compared" : undefined}
        className="rounded-md bg-indigo-500 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-400 disabled:opacity-40">Add</button>
      {error && <span className="text-sm text-rose-300">{error}</span>}
      <span className="ml-auto text-xs text-slate-500">{selected.length} of {MAX_COMPARED_CHECKPOINTS}</span>
    </section>
  );
}
