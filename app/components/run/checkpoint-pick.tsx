"use client";
import { useState } from "react";
import { MAX_COMPARED_CHECKPOINTS } from "../../../lib/generation";

/** Checkpoints of one run ticked for comparison, oldest first; any of them, not only neighbours. */
export function useCheckpointPick(runId: string) {
  const [picked, setPicked] = useState<number[]>([]);
  const toggle = (step: number) =>
    setPicked((p) => (p.includes(step) ? p.filter((s) => s !== step) : p.length >= MAX_COMPARED_CHECKPOINTS ? p : [...p, step].sort((a, b) => a - b)));
  const href = `/compare/checkpoints?c=${picked.map((s) => `${runId}@${s}`).join(",")}`;
  return { picked, toggle, href };
}
export type CheckpointPick = ReturnType<typeof useCheckpointPick>;

export function CheckpointPickBox({ pick, step }: { pick: CheckpointPick; step: number }) {
  const on = pick.picked.includes(step);
  const full = !on && pick.picked.length >= MAX_COMPARED_CHECKPOINTS;
  return (
    <input type="checkbox" checked={on} disabled={full} onChange={() => pick.toggle(step)} data-testid={`pick-${step}`}
      aria-label={`Compare step ${step}`} title={full ? `At most ${MAX_COMPARED_CHECKPOINTS} checkpoints` : "Tick two or more to compare them"} className="mr-2 align-middle" />
  );
}

/** The link to compare the ticked checkpoints; it says what to do while fewer than two are ticked. */
export function ComparePicked({ pick }: { pick: CheckpointPick }) {
  const n = pick.picked.length;
  if (n < 2) return <p className="mt-2 text-xs text-slate-500" data-testid="compare-picked-hint">Tick two or more checkpoints to compare any of them side by side.</p>;
  return (
    <a href={pick.href} data-testid="compare-picked"
      className="mt-2 inline-block rounded-md bg-indigo-500 px-3 py-1 text-sm font-medium text-white hover:bg-indigo-400">
      Compare steps {pick.picked.join(", ")}
    </a>
  );
}
