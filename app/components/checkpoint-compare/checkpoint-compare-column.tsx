import type { RouterOutputs } from "../../../server/trpc/router";
import { PALETTE } from "../charts/bar-chart";
import type { CheckpointRef } from "./checkpoint-params";

export type Summary = RouterOutputs["checkpointCompare"]["summary"];
export type RunOption = { id: string; name: string; status: string };

/** How a checkpoint is named in every table's header: a letter (A is the baseline), its run and step. */
export interface Column {
  letter: string;
  color: string;
  runName: string;
  step: number;
  ref: CheckpointRef;
}

export function columnsOf(summary: Summary): Column[] {
  return summary.checkpoints.map((c, i) => ({
    letter: String.fromCharCode(65 + i), color: PALETTE[i % PALETTE.length], runName: c.runName, step: c.step, ref: { runId: c.runId, step: c.step },
  }));
}

export function ColumnHead({ column, baseline }: { column: Column; baseline?: boolean }) {
  return (
    <span className="inline-flex min-w-0 items-center gap-1.5">
      <span className="inline-flex h-5 w-5 shrink-0 items-center justify-center rounded text-xs font-bold text-slate-950" style={{ background: column.color }}>{column.letter}</span>
      <span className="truncate text-slate-200">{column.runName}</span>
      <span className="shrink-0 font-mono text-slate-400">@{column.step}</span>
      {baseline && <span className="shrink-0 rounded bg-slate-800 px-1 text-[10px] uppercase tracking-wide text-slate-400">base</span>}
    </span>
  );
}
