"use client";
import { useState } from "react";
import { importDeepSpeed, type DeepSpeedImport } from "../../../lib/deepspeed";

/** Paste a DeepSpeed JSON config; the fields it sets are applied to the form. */
export function DeepSpeedImportPanel({ onApply }: { onApply: (config: DeepSpeedImport["config"]) => void }) {
  const [text, setText] = useState("");
  const [result, setResult] = useState<DeepSpeedImport | null>(null);
  const [error, setError] = useState<string | null>(null);

  function apply() {
    try {
      const r = importDeepSpeed(text);
      setResult(r);
      setError(null);
      onApply(r.config);
    } catch (e) {
      setResult(null);
      setError((e as Error).message);
    }
  }

  return (
    <details className="rounded-lg border border-slate-800 p-4" data-testid="deepspeed-import">
      <summary className="cursor-pointer text-sm font-semibold text-slate-300">Import a DeepSpeed config</summary>
      <textarea value={text} onChange={(e) => setText(e.target.value)} rows={8} placeholder='{"train_batch_size": 32, "train_micro_batch_size_per_gpu": 8, …}'
        className="mt-2 w-full rounded-md border border-slate-700 bg-slate-950 p-2 font-mono text-xs text-slate-100" aria-label="DeepSpeed JSON" />
      <button type="button" onClick={apply} className="mt-2 rounded border border-slate-600 px-3 py-1 text-sm hover:bg-slate-800">Apply to the form</button>
      {error && <p role="alert" className="mt-2 text-sm text-rose-300">{error}</p>}
      {result && (
        <div className="mt-2 space-y-1 text-xs text-slate-400">
          <p>Set: {Object.keys(result.config).join(", ") || "nothing"}.</p>
          {result.notes.map((n) => <p key={n} className="text-amber-300">{n}</p>)}
          {result.ignored.length > 0 && <p>Ignored: {result.ignored.join("; ")}.</p>}
        </div>
      )}
    </details>
  );
}
