"use client";
import { EVAL_TASKS, SYNTHETIC, type EvalSource } from "../../../lib/eval/contracts";

export type RegisteredSet = { task: string; name: string; path: string; examples: number };

/** Which benchmarks a run evaluates, each from a synthetic set or a registered file. */
export function EvalPicker({ value, sets, onChange, error }: { value: EvalSource[]; sets: RegisteredSet[]; onChange: (v: EvalSource[]) => void; error?: string }) {
  const chosen = new Map(value.map((e) => [e.task, e.file]));
  function set(task: EvalSource["task"], file: string | null) {
    const next = new Map(chosen);
    if (file === null) next.delete(task);
    else next.set(task, file);
    onChange(EVAL_TASKS.filter((t) => next.has(t)).map((t) => ({ task: t, file: next.get(t)! })));
  }
  return (
    <div className="sm:col-span-2 xl:col-span-3" data-testid="eval-picker">
      <p className="text-sm font-medium text-slate-300">Benchmarks</p>
      <div className="mt-1 grid grid-cols-1 gap-2 sm:grid-cols-2">
        {EVAL_TASKS.map((task) => {
          const options = sets.filter((s) => s.task === task);
          const on = chosen.has(task);
          const canSynth = task === "lambada" || task === "hellaswag";
          return (
            <div key={task} className="flex items-center gap-2 text-sm">
              <input type="checkbox" id={`eval-${task}`} checked={on} disabled={!canSynth && options.length === 0}
                onChange={(e) => set(task, e.target.checked ? (canSynth ? SYNTHETIC : options[0].path) : null)} />
              <label htmlFor={`eval-${task}`} className="w-24 text-slate-300">{task}</label>
              <select value={chosen.get(task) ?? ""} disabled={!on} onChange={(e) => set(task, e.target.value)} aria-label={`${task} source`}
                className="w-0 min-w-0 flex-1 rounded-md border border-slate-700 bg-slate-950 px-2 py-1 font-mono text-xs text-slate-100 disabled:opacity-40">
                {!on && <option value="">off</option>}
                {canSynth && <option value={SYNTHETIC}>synthetic (from held-out data)</option>}
                {options.map((s) => <option key={s.path} value={s.path}>{s.name} · {s.examples} examples</option>)}
              </select>
            </div>
          );
        })}
      </div>
      <p className={`mt-1 text-xs ${error ? "text-rose-300" : "text-slate-500"}`}>
        {error ?? "Scored as lm-evaluation-harness scores them. PIQA and ARC-Easy need a registered file (Benchmarks page)."}
      </p>
    </div>
  );
}
