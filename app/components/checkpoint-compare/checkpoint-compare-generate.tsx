"use client";
import { useState } from "react";
import type { ZodError } from "zod";
import { formNumber } from "../../../lib/form-number";
import { CompareGenerateRequest, MAX_NEW_TOKENS, MAX_PROMPTS } from "../../../lib/generation";
import type { RouterOutputs } from "../../../server/trpc/router";
import { serverFieldErrors, trpc } from "../../lib/trpc";
import { ColumnHead, type Column } from "./checkpoint-compare-column";
import type { CheckpointParams } from "./checkpoint-params";

type Result = RouterOutputs["checkpointCompare"]["generate"]["columns"][number]["results"][number];
type Cell = { results: Result[] } | { error: string };
type Settings = Pick<CheckpointParams, "temperature" | "topK" | "maxTokens" | "seed">;
interface Grid {
  prompts: string[];
  settings: Settings;
  cells: Record<string, Cell>;
}

const SETTINGS: { key: keyof Settings; label: string; hint: string }[] = [
  { key: "temperature", label: "Temperature", hint: "0 = greedy" },
  { key: "topK", label: "Top-k", hint: "0 = all tokens" },
  { key: "maxTokens", label: "Max tokens", hint: `1–${MAX_NEW_TOKENS}` },
  { key: "seed", label: "Seed", hint: "same seed, same text" },
];
const input = "w-full rounded-md border border-slate-700 bg-slate-950 px-2.5 py-1.5 font-mono text-sm text-slate-100 outline-none focus:ring-2 focus:ring-indigo-500/40";

/**
 * The same prompts continued by every checkpoint with the same settings and seed. Checkpoints run
 * one after another, each one server call (one child process for all its prompts), so progress
 * shows as each finishes.
 */
export function CheckpointCompareGenerate({ columns, params, onChange }: {
  columns: Column[]; params: CheckpointParams; onChange: (c: Partial<CheckpointParams>) => void;
}) {
  const [prompts, setPrompts] = useState(params.prompts);
  const [values, setValues] = useState<Record<keyof Settings, string>>({
    temperature: String(params.temperature), topK: String(params.topK), maxTokens: String(params.maxTokens), seed: String(params.seed),
  });
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});
  const [grid, setGrid] = useState<Grid | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number; current: string } | null>(null);

  const request = (p: string[], v: Record<keyof Settings, string>) =>
    CompareGenerateRequest.safeParse({
      checkpoints: columns.map((c) => c.ref), prompts: p,
      // The schema takes numbers only; a blank one is an error, not zero.
      ...Object.fromEntries(Object.entries(v).map(([k, s]) => [k, formNumber(s)])),
    });
  // Valid settings go into the URL as they are typed, so a copied link carries them.
  function edit(p: string[], v: Record<keyof Settings, string>) {
    setPrompts(p);
    setValues(v);
    const parsed = request(p, v);
    if (parsed.success) {
      const { prompts: ps, temperature, topK, maxTokens, seed } = parsed.data;
      onChange({ prompts: ps, temperature, topK, maxTokens, seed: seed ?? params.seed });
    }
  }

  async function generate() {
    const parsed = request(prompts, values);
    if (!parsed.success) return setErrors(fieldErrorsOf(parsed.error));
    setErrors({});
    const req = parsed.data;
    const settings = { temperature: req.temperature, topK: req.topK, maxTokens: req.maxTokens, seed: req.seed ?? params.seed };
    const cells: Record<string, Cell> = {};
    setGrid({ prompts: req.prompts, settings, cells: {} });
    const total = columns.length * req.prompts.length;
    for (const [i, col] of columns.entries()) {
      setProgress({ done: i * req.prompts.length, total, current: `${col.letter} · ${col.runName} @${col.step}` });
      try {
        const res = await trpc.checkpointCompare.generate.mutate({ ...req, checkpoints: [col.ref] });
        cells[col.letter] = { results: res.columns[0].results };
      } catch (e) {
        const fields = serverFieldErrors(e);
        cells[col.letter] = { error: fields ? Object.values(fields).join("; ") : e instanceof Error ? e.message : String(e) };
      }
      setGrid({ prompts: req.prompts, settings, cells: { ...cells } });
    }
    setProgress(null);
  }

  const busy = progress !== null;
  return (
    <section className="rounded-lg border border-slate-800 bg-slate-900/40" data-testid="generate">
      <div className="flex flex-wrap items-baseline gap-3 border-b border-slate-800 px-4 py-2.5">
        <h2 className="text-sm font-semibold text-slate-200">Generated text</h2>
        <span className="text-xs text-slate-500">the same prompts, settings and seed for every checkpoint</span>
      </div>
      <div className="grid gap-4 p-4 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <div className="space-y-2">
          {prompts.map((p, i) => (
            <div key={i} className="flex items-start gap-2">
              <span className="mt-1.5 w-6 shrink-0 text-right font-mono text-xs text-slate-500">{i + 1}</span>
              <div className="flex-1">
                <input value={p} onChange={(e) => edit(prompts.map((x, j) => (j === i ? e.target.value : x)), values)} placeholder="A prompt"
                  className={`${input} ${errors[`prompts.${i}`] ? "border-rose-500" : ""}`} data-testid={`prompt-${i}`} />
                {errors[`prompts.${i}`] && <span className="text-xs text-rose-300">{errors[`prompts.${i}`]}</span>}
              </div>
              <button onClick={() => edit(prompts.filter((_, j) => j !== i), values)} disabled={prompts.length === 1 || busy} aria-label={`Remove prompt ${i + 1}`}
                className="mt-0.5 rounded px-2 py-1 text-slate-400 hover:bg-slate-800 hover:text-slate-100 disabled:opacity-30" data-testid={`prompt-remove-${i}`}>×</button>
            </div>
          ))}
          <div className="flex items-center gap-3 pl-8">
            <button onClick={() => edit([...prompts, ""], values)} disabled={prompts.length >= MAX_PROMPTS || busy}
              className="rounded border border-slate-700 px-2 py-0.5 text-xs text-slate-300 hover:bg-slate-800 disabled:opacity-40" data-testid="prompt-add">+ Prompt</button>
            {errors.prompts && <span className="text-xs text-rose-300">{errors.prompts}</span>}
          </div>
        </div>
        <div className="space-y-3">
          <div className="grid grid-cols-2 gap-3">
            {SETTINGS.map((f) => (
              <label key={f.key} className="text-xs text-slate-400">{f.label}
                <div className="mt-1 flex gap-1">
                  <input value={values[f.key]} inputMode="decimal" autoComplete="off" onChange={(e) => edit(prompts, { ...values, [f.key]: e.target.value })}
                    className={`${input} ${errors[f.key] ? "border-rose-500" : ""}`} data-testid={`gen-${f.key}`} />
                  {f.key === "seed" && (
                    <button type="button" title="A new random seed" onClick={() => edit(prompts, { ...values, seed: String(Math.floor(Math.random() * 1e6)) })}
                      className="rounded-md border border-slate-700 px-2 text-slate-300 hover:bg-slate-800" data-testid="seed-random">⟳</button>
                  )}
                </div>
                <span className={errors[f.key] ? "text-rose-300" : "text-slate-500"}>{errors[f.key] ?? f.hint}</span>
              </label>
            ))}
          </div>
          <div className="flex items-center gap-3">
            <button onClick={generate} disabled={busy || columns.length === 0} data-testid="generate-run"
              className="rounded-md bg-indigo-500 px-4 py-1.5 text-sm font-medium text-white hover:bg-indigo-400 disabled:opacity-40">
              {busy ? "Generating…" : `Generate ${columns.length * prompts.length} texts`}
            </button>
            {errors.checkpoints && <span className="text-xs text-rose-300">{errors.checkpoints}</span>}
          </div>
        </div>
      </div>
      {progress && (
        <div className="px-4 pb-3" data-testid="generate-progress">
          <div className="mb-1 flex justify-between text-xs text-slate-400">
            <span>{progress.done} of {progress.total} done</span><span>now: {progress.current}</span>
          </div>
          <div className="h-1.5 overflow-hidden rounded bg-slate-800">
            <div className="h-full bg-indigo-500 transition-all" style={{ width: `${(100 * progress.done) / progress.total}%` }} />
          </div>
        </div>
      )}
      {grid && <TextGrid grid={grid} columns={columns} />}
    </section>
  );
}

/** Rows are prompts, columns checkpoints; each cell is the prompt (dim) and its continuation. */
function TextGrid({ grid, columns }: { grid: Grid; columns: Column[] }) {
  const s = grid.settings;
  return (
    <div className="border-t border-slate-800">
      <p className="px-4 pt-2 text-xs text-slate-500" data-testid="generate-settings">
        temperature {s.temperature} · top-k {s.topK} · up to {s.maxTokens} tokens · seed {s.seed}
      </p>
      <div className="overflow-x-auto p-4 pt-2">
        <table className="w-full table-fixed border-separate border-spacing-2 text-sm" data-testid="generate-grid">
          <thead>
            <tr>
              <th className="w-36" />
              {columns.map((c) => <th key={c.letter} className="text-left text-xs font-medium"><ColumnHead column={c} /></th>)}
            </tr>
          </thead>
          <tbody>
            {grid.prompts.map((prompt, row) => (
              <tr key={row}>
                <th className="align-top text-left text-xs font-normal">
                  <span className="text-slate-500">prompt {row + 1}</span>
                  <p className="mt-0.5 break-words font-mono text-indigo-200">“{prompt}”</p>
                </th>
                {columns.map((c) => {
                  const cell = grid.cells[c.letter];
                  const r = cell && "results" in cell ? cell.results[row] : null;
                  return (
                    <td key={c.letter} className="rounded-md border border-slate-800 bg-slate-950 p-3 align-top" data-testid={`text-${c.letter}-${row}`} data-done={Boolean(cell)}>
                      {!cell ? <span className="animate-pulse text-xs text-slate-600">waiting…</span>
                        : "error" in cell ? <span role="alert" className="text-xs text-rose-300">{cell.error}</span>
                        : r && (
                          <>
                            <p className="whitespace-pre-wrap break-words font-mono text-[13px] leading-relaxed">
                              <span className="rounded-sm bg-indigo-500/15 text-indigo-200">{prompt}</span>
                              <span className="text-slate-100" data-testid="continuation">{r.text}</span>
                            </p>
                            <p className="mt-2 text-[11px] text-slate-500">{r.tokens.length} tokens · {r.stop === "eot" ? "end of text" : "max tokens"}</p>
                          </>
                        )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** Field errors keyed as the server keys them: "prompts.2" for one prompt, "prompts" for the list. */
function fieldErrorsOf(error: ZodError): Partial<Record<string, string>> {
  const out: Partial<Record<string, string>> = {};
  for (const issue of error.issues) out[issue.path.map(String).join(".") || "form"] ??= issue.message;
  return out;
}
