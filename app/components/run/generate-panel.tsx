"use client";
import { useState } from "react";
import { formNumber } from "../../../lib/form-number";
import { MAX_NEW_TOKENS, SamplingOptions } from "../../../lib/generation";
import { fieldErrors } from "../../../lib/run-config";
import type { RouterOutputs } from "../../../server/trpc/router";
import { serverFieldErrors, trpc } from "../../lib/trpc";

type Result = RouterOutputs["checkpoint"]["generate"];
type Key = "prompt" | "temperature" | "topK" | "maxTokens" | "seed";

const FIELDS: { key: Exclude<Key, "prompt">; label: string; hint: string }[] = [
  { key: "temperature", label: "Temperature", hint: "0 = greedy; 0.7–1 to sample" },
  { key: "topK", label: "Top-k", hint: "0 = whole vocabulary" },
  { key: "maxTokens", label: "Max tokens", hint: `1–${MAX_NEW_TOKENS}` },
  { key: "seed", label: "Seed", hint: "blank = random" },
];

/** Continues a prompt from one of the run's checkpoints (checkpoint.generate, run in a child process on the server). */
export function GeneratePanel({ runId, steps }: { runId: string; steps: number[] }) {
  const [step, setStep] = useState<number | null>(null);
  const [values, setValues] = useState<Record<Key, string>>({ prompt: "", temperature: "0.8", topK: "40", maxTokens: "100", seed: "" });
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});
  const [busy, setBusy] = useState(false);
  const [output, setOutput] = useState<{ prompt: string; result: Result } | null>(null);
  const chosen = step !== null && steps.includes(step) ? step : steps[0];

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    // Blank numbers must be errors, not zero; a blank seed means "draw one".
    const input = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, k === "prompt" ? v : k === "seed" && v.trim() === "" ? undefined : formNumber(v)]));
    const parsed = SamplingOptions.safeParse(input);
    if (!parsed.success) return setErrors(fieldErrors(parsed.error));
    setErrors({});
    setBusy(true);
    try {
      const result = await trpc.checkpoint.generate.mutate({ runId, step: chosen, ...parsed.data });
      setOutput({ prompt: parsed.data.prompt, result });
    } catch (err) {
      setErrors(serverFieldErrors(err) ?? { form: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  }

  const input = "w-full rounded-md border border-slate-700 bg-slate-950 px-2.5 py-1.5 font-mono text-sm text-slate-100 outline-none focus:ring-2 focus:ring-indigo-500/40";
  return (
    <section className="rounded-lg border border-slate-800 p-4" data-testid="generate-panel">
      <h2 className="mb-2 text-sm font-semibold text-slate-300">Generate</h2>
      {steps.length === 0 ? <p className="text-sm text-slate-500">Text can be generated once the run has a checkpoint.</p> : (
        <form onSubmit={submit} noValidate className="space-y-3">
          <div className="grid gap-3 sm:grid-cols-[8rem_1fr]">
            <label className="text-sm text-slate-300">Checkpoint
              <select value={chosen} onChange={(e) => setStep(Number(e.target.value))} className={`mt-1 ${input}`} data-testid="generate-step">
                {steps.map((s) => <option key={s} value={s}>step {s}</option>)}
              </select>
            </label>
            <label className="text-sm text-slate-300">Prompt
              <textarea value={values.prompt} rows={2} onChange={(e) => setValues({ ...values, prompt: e.target.value })}
                className={`mt-1 ${input}`} placeholder="Empty starts a new document" data-testid="generate-prompt" />
              {errors.prompt && <span className="text-xs text-rose-300">{errors.prompt}</span>}
            </label>
          </div>
          <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
            {FIELDS.map((f) => (
              <label key={f.key} className="text-sm text-slate-300">{f.label}
                <input value={values[f.key]} inputMode="decimal" autoComplete="off" onChange={(e) => setValues({ ...values, [f.key]: e.target.value })}
                  className={`mt-1 ${input} ${errors[f.key] ? "border-rose-500" : ""}`} data-testid={`generate-${f.key}`} />
                <span className={`text-xs ${errors[f.key] ? "text-rose-300" : "text-slate-500"}`}>{errors[f.key] ?? f.hint}</span>
              </label>
            ))}
          </div>
          <div className="flex items-center gap-3">
            <button type="submit" disabled={busy} className="rounded-md bg-indigo-500 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-400 disabled:opacity-40">
              {busy ? "Generating…" : "Generate"}
            </button>
            {errors.form && <p role="alert" className="text-sm text-rose-300" data-testid="generate-error">{errors.form}</p>}
          </div>
          {output && (
            <div data-testid="generate-output">
              <p className="whitespace-pre-wrap break-words rounded-md bg-slate-950 p-3 font-mono text-sm">
                <span className="text-slate-500">{output.prompt}</span><span className="text-slate-100" data-testid="generate-text">{output.result.text}</span>
              </p>
              <p className="mt-1 text-xs text-slate-500" data-testid="generate-stats">
                {output.result.tokens.length} tokens in {(output.result.ms / 1000).toFixed(2)} s
                ({(output.result.tokens.length / Math.max(output.result.ms / 1000, 1e-3)).toFixed(0)} tokens/s) ·
                stopped at {output.result.stop === "eot" ? "end of text" : "max tokens"} · seed {output.result.seed}
              </p>
            </div>
          )}
        </form>
      )}
    </section>
  );
}
