"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { replaceUrlSoon, useNavigate } from "../common/navigation";
import { columnsOf, type RunOption, type Summary } from "./checkpoint-compare-column";
import { CheckpointCompareConfig } from "./checkpoint-compare-config";
import { CheckpointCompareExamples } from "./checkpoint-compare-examples";
import { CheckpointCompareGenerate } from "./checkpoint-compare-generate";
import { CheckpointComparePicker } from "./checkpoint-compare-picker";
import { CheckpointCompareScores } from "./checkpoint-compare-scores";
import { checkpointsHref, type CheckpointParams, type CheckpointRef } from "./checkpoint-params";

export function CheckpointCompareView(props: { runs: RunOption[]; params: CheckpointParams; summary: Summary | null; error: string | null; dropped: string[] }) {
  const navigate = useNavigate();
  const [params, setParams] = useState(props.params);
  const href = checkpointsHref(params);
  const change = (c: Partial<CheckpointParams>) => setParams((p) => ({ ...p, ...c }));

  // Settings follow in the URL without a reload; a new selection reloads the scores on the server.
  useEffect(() => replaceUrlSoon(() => href), [href]);
  const select = (checkpoints: CheckpointRef[]) => navigate(checkpointsHref({ ...params, checkpoints, a: 0, b: 1 }));

  const { summary } = props;
  const columns = summary ? columnsOf(summary) : [];
  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-baseline gap-3">
        <h1 className="text-xl font-semibold text-slate-100">Compare checkpoints</h1>
        <p className="text-sm text-slate-400">Scores, text and per-example changes, side by side. The first checkpoint is the baseline for every delta.</p>
        <Link href="/compare" className="ml-auto text-sm text-indigo-300 hover:text-indigo-200">Compare whole runs →</Link>
      </div>
      <CheckpointComparePicker runs={props.runs} selected={params.checkpoints} columns={columns} onChange={select} />
      {props.dropped.length > 0 && (
        <p className="rounded-md border border-amber-500/40 bg-amber-500/10 px-3 py-2 text-sm text-amber-200" data-testid="dropped">
          Ignored from the link: {props.dropped.join(", ")} (malformed, repeated, or past the 6th).
        </p>
      )}
      {props.error && <p role="alert" className="rounded-md border border-rose-500/40 bg-rose-500/10 px-3 py-2 text-sm text-rose-200" data-testid="compare-error">{props.error}</p>}
      {!summary ? (
        !props.error && (
          <p className="rounded-lg border border-dashed border-slate-700 p-10 text-center text-slate-400" data-testid="compare-empty">
            Pick two or more checkpoints above, of one run or several. A run page links here from each of its checkpoints.
          </p>
        )
      ) : (
        <>
          {columns.length < 2 && <p className="text-sm text-slate-400">Add another checkpoint to see deltas.</p>}
          {/* Side by side while two columns leave the config room; stacked beyond. */}
          <div className={`grid items-start gap-5 ${columns.length <= 2 ? "xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]" : ""}`}>
            <CheckpointCompareScores summary={summary} columns={columns} />
            <CheckpointCompareConfig summary={summary} columns={columns} />
          </div>
          <CheckpointCompareGenerate columns={columns} params={params} onChange={change} />
          <CheckpointCompareExamples summary={summary} columns={columns} params={params} onChange={change} />
        </>
      )}
    </div>
  );
}
