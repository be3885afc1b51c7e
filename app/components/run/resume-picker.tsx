"use client";
import { useState } from "react";
import { OUT_OF_MEMORY } from "../../../lib/anomaly/liveness";
import type { RouterOutputs } from "../../../server/trpc/router";
import { trpc } from "../../lib/trpc";

type Run = RouterOutputs["run"]["get"];
/** The newest checkpoint: resume without naming a step, as the trainer picks the newest that verifies. */
const NEWEST = "newest";

/**
 * Resume, from the newest checkpoint or one the person picks. An older one sets the later
 * checkpoints aside (kept on disk) and supersedes the metrics after it, as a rollback does. A run
 * that ran out of memory says so: resuming the same config runs out again.
 */
export function ResumePicker({ run, steps, disabled, onResumed, onError }: {
  run: Run; steps: number[]; disabled: boolean; onResumed: (run: Run) => void; onError: (error: unknown) => void;
}) {
  const [choice, setChoice] = useState(NEWEST);
  const [busy, setBusy] = useState(false);
  const newest = steps.length ? Math.max(...steps) : null;
  const step = choice === NEWEST || Number(choice) === newest ? undefined : Number(choice);
  const later = step === undefined ? 0 : steps.filter((s) => s > step).length;
  const outOfMemory = run.status !== "completed" && (run.error ?? "").includes(OUT_OF_MEMORY);
  const title = outOfMemory
    ? "The last attempt ran out of memory: resuming with the same config will run out again. Fork it with a smaller model, batch or context instead."
    : step !== undefined ? `Continues from step ${step}; the ${later} later checkpoint${later === 1 ? " is" : "s are"} set aside and the metrics after step ${step} superseded`
    : newest !== null ? `Continues from the checkpoint at step ${newest}` : "Starts from step 0: no checkpoint yet";

  async function resume() {
    setBusy(true);
    onError(null);
    try {
      onResumed(await trpc.run.resume.mutate({ id: run.id, step }));
      setChoice(NEWEST);
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <span className="inline-flex items-center gap-1" data-testid="resume-picker">
      {outOfMemory && !disabled && <span className="max-w-64 text-xs text-amber-300" data-testid="resume-oom">Ran out of memory: the same config will again</span>}
      <select value={choice} onChange={(e) => setChoice(e.target.value)} disabled={disabled || busy || steps.length < 2} aria-label="Checkpoint to resume from"
        data-testid="resume-step" className="rounded-md border border-slate-600 bg-slate-950 px-2 py-1.5 text-sm text-slate-200 disabled:opacity-40">
        <option value={NEWEST}>{newest === null ? "from step 0" : `from step ${newest} (newest)`}</option>
        {[...steps].sort((a, b) => b - a).filter((s) => s !== newest).map((s) => <option key={s} value={s}>from step {s}</option>)}
      </select>
      <button onClick={resume} disabled={disabled || busy} title={title} data-testid="resume"
        className={`rounded-md px-3 py-1.5 text-sm font-medium text-white disabled:opacity-40 ${outOfMemory ? "bg-amber-600 hover:bg-amber-500" : "bg-indigo-500 hover:bg-indigo-400"}`}>
        {step !== undefined ? `Resume at ${step}` : "Resume"}
      </button>
    </span>
  );
}
