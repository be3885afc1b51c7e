"use client";
import { useState } from "react";
import type { RouterOutputs } from "../../../server/trpc/router";
import { fmtBytes } from "../../lib/format";
import { trpc } from "../../lib/trpc";

type ExportState =
  | { step: number; busy: true }
  | { step: number; busy: false; result: RouterOutputs["checkpoint"]["export"] }
  | { step: number; busy: false; error: string };

/** Export of one checkpoint at a time, for the checkpoints table's per-row buttons. */
export function useCheckpointExport(runId: string) {
  const [state, setState] = useState<ExportState | null>(null);
  async function exportStep(step: number) {
    setState({ step, busy: true });
    try {
      setState({ step, busy: false, result: await trpc.checkpoint.export.mutate({ runId, step }) });
    } catch (e) {
      setState({ step, busy: false, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return { state, busy: state?.busy ?? false, exportStep };
}

export function ExportStatus({ state }: { state: ExportState | null }) {
  if (!state) return null;
  if (state.busy) return <p className="mt-2 text-xs text-slate-400">Exporting step {state.step}…</p>;
  if ("error" in state) return <p role="alert" className="mt-2 text-xs text-rose-300" data-testid="export-error">{state.error}</p>;
  return (
    <div className="mt-2 text-xs text-slate-400" data-testid="export-result">
      Step {state.step} exported to <code className="select-all break-all text-slate-200" data-testid="export-path">{state.result.outDir}</code>
      <span className="block">{state.result.files.map((f) => `${f.name} ${fmtBytes(f.bytes)}`).join(" · ")}</span>
    </div>
  );
}
