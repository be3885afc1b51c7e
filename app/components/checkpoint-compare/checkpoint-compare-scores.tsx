"use client";
import { ColumnHead, type Column, type Summary } from "./checkpoint-compare-column";

type Row = Summary["losses"][number];

// Early perplexities run to billions; an exponent keeps the columns narrow.
const fmtScore = (x: number) => (Math.abs(x) >= 1e5 ? x.toExponential(2) : Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(4));

function Delta({ row, i }: { row: Row; i: number }) {
  const d = row.deltas[i];
  if (d === null || i === 0) return null;
  const good = row.better === null || d === 0 ? null : (d > 0) === (row.better === "higher");
  const tone = good === null ? "text-slate-500" : good ? "text-emerald-300" : "text-rose-300";
  const base = row.values[0];
  const pct = base ? ` (${((d / Math.abs(base)) * 100).toFixed(1)}%)` : "";
  return (
    <span className={`ml-2 text-xs ${tone}`} data-testid="delta" data-good={good === null ? "" : String(good)} title={`against the baseline${pct}`}>
      {d > 0 ? "+" : d < 0 ? "−" : "±"}{fmtScore(Math.abs(d))}
    </span>
  );
}

function ScoreRow({ row, label, columns, hint }: { row: Row; label: string; columns: Column[]; hint?: string }) {
  return (
    <tr data-testid="score-row" data-key={row.key} className="border-t border-slate-800/70 hover:bg-slate-800/30">
      <td className="whitespace-nowrap py-1.5 pl-4 pr-3 text-slate-300" title={hint ?? row.key}>{label}</td>
      {columns.map((c, i) => {
        const v = row.values[i];
        const at = row.steps[i];
        return (
          <td key={c.letter} className="whitespace-nowrap px-3 py-1.5 font-mono tabular-nums" data-testid={`score-${c.letter}`} data-value={v ?? ""}>
            {v === null ? <span className="text-slate-600" title="Not scored at this step (skipped by the time budget, or not run)">—</span> : <span className="text-slate-100">{fmtScore(v)}</span>}
            {/* The update that ends at the checkpoint's step N is logged at N − 1: that is its own loss, not an older one. */}
            {at !== null && at < c.step - 1 && <span className="ml-1 text-[10px] text-slate-500" title={`Logged at step ${at}, the nearest before the checkpoint`}>@{at}</span>}
            <Delta row={row} i={i} />
          </td>
        );
      })}
    </tr>
  );
}

/** Losses and every benchmark metric stored at each checkpoint's step, with deltas against the baseline. */
export function CheckpointCompareScores({ summary, columns }: { summary: Summary; columns: Column[] }) {
  const tasks = [...new Set(summary.evals.map((r) => r.key.split("/")[1]))];
  const synthetic = new Set<string>(summary.checkpoints.flatMap((c) => c.synthetic));
  return (
    <section className="overflow-hidden rounded-lg border border-slate-800 bg-slate-900/40" data-testid="scores">
      <div className="flex items-baseline gap-3 border-b border-slate-800 px-4 py-2.5">
        <h2 className="text-sm font-semibold text-slate-200">Scores</h2>
        <span className="text-xs text-slate-500">
          <span className="text-emerald-300">green</span> is better than the baseline, <span className="text-rose-300">red</span> worse (loss and perplexity: lower is better)
        </span>
      </div>
      <div className="overflow-x-auto">
        <table className="w-full text-sm">
          <thead className="text-left text-xs text-slate-400">
            <tr>
              <th className="py-2 pl-4 pr-3 font-medium">Metric</th>
              {columns.map((c, i) => <th key={c.letter} className="max-w-56 px-3 py-2 font-medium"><ColumnHead column={c} baseline={i === 0} /></th>)}
            </tr>
          </thead>
          <tbody>
            <GroupHead label="Loss" span={columns.length} />
            <ScoreRow row={summary.losses[0]} label="train loss" columns={columns} hint="The train loss logged at the checkpoint's step, or just before it" />
            <ScoreRow row={summary.losses[1]} label="val loss" columns={columns} hint="Validation loss at the checkpoint's step, or the nearest earlier evaluation" />
            {tasks.map((task) => {
              const rows = summary.evals.filter((r) => r.key.split("/")[1] === task);
              const n = rows.find((r) => r.key.endsWith("/n"));
              return [
                <GroupHead key={task} label={task} note={synthetic.has(task) ? "synthetic" : undefined} span={columns.length}
                  counts={n ? columns.map((c, i) => (n.values[i] === null ? "" : `n ${n.values[i]}`)) : undefined} />,
                ...rows.filter((r) => r !== n).map((r) => <ScoreRow key={r.key} row={r} label={r.key.split("/")[2]} columns={columns} />),
              ];
            })}
            {tasks.length === 0 && (
              <tr><td colSpan={columns.length + 1} className="px-4 py-3 text-sm text-slate-500">No benchmark scores at these steps.</td></tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function GroupHead({ label, note, span, counts }: { label: string; note?: string; span: number; counts?: string[] }) {
  return (
    <tr className="border-t border-slate-800 bg-slate-900/70 text-xs">
      <td className="py-1 pl-4 pr-3 font-semibold uppercase tracking-wide text-slate-400">
        {label}{note && <span className="ml-1.5 font-normal normal-case tracking-normal text-amber-300/80">({note})</span>}
      </td>
      {counts ? counts.map((c, i) => <td key={i} className="px-3 py-1 font-mono text-slate-500">{c}</td>) : <td colSpan={span} />}
    </tr>
  );
}
