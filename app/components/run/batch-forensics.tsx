"use client";
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import type { ExcludedDocument } from "../../../lib/exclusion";
import type { RouterOutputs } from "../../../server/trpc/router";
import { useActionError } from "../../lib/errors";
import { fmtNumber } from "../../lib/format";
import { trpc } from "../../lib/trpc";
import { smallButton } from "../common/small-button";

type Answer = RouterOutputs["forensics"]["batch"];
type Done = Extract<Answer, { state: "done" }>;
const POLL_MS = 700;
/** A layer's gradient norm this many times its median is highlighted. */
const RATIO_ALERT = 2;
const docKey = (d: ExcludedDocument) => `${d.domain}/${d.start}/${d.length}`;

/**
 * Spike forensics (docs/forensics.md): a step's batch rebuilt from the checkpoint before it, rows
 * by loss with their documents, per-layer gradient norms against their medians, and a fork that
 * goes on from that checkpoint without the documents or domains ticked here.
 */
export function BatchForensics(props: { runId: string; request: { step: number; at: number } | null; checkpointSteps: number[] }) {
  const [stepText, setStepText] = useState("");
  const [asked, setAsked] = useState<number | null>(null);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [error, setError] = useActionError();
  const [docs, setDocs] = useState<Map<string, ExcludedDocument>>(new Map());
  const [domains, setDomains] = useState<Set<string>>(new Set());
  const [forked, setForked] = useState<{ id: string; name: string } | null>(null);
  const [forking, setForking] = useState(false);

  useEffect(() => {
    if (!props.request) return;
    setStepText(String(props.request.step));
    setAsked(props.request.step);
    document.getElementById("batch-forensics")?.scrollIntoView({ behavior: "smooth", block: "start" });
  }, [props.request]);

  useEffect(() => {
    if (asked === null) return;
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setAnswer(null);
    setError(null);
    setDocs(new Map());
    setDomains(new Set());
    setForked(null);
    const poll = async () => {
      try {
        const a = await trpc.forensics.batch.mutate({ runId: props.runId, step: asked });
        if (stop) return;
        setAnswer(a);
        if (a.state === "running") timer = setTimeout(poll, POLL_MS);
      } catch (e) {
        if (!stop) setError(e, `Step ${asked}`);
      }
    };
    void poll();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [asked, props.runId, setError]);

  const done = answer?.state === "done" ? (answer as Done) : null;
  const rows = useMemo(() => (done ? [...done.rows].sort((a, b) => (b.loss ?? Infinity) - (a.loss ?? Infinity)) : []), [done]);
  const maxLoss = Math.max(1e-9, ...rows.map((r) => r.loss ?? 0));
  const batchDomains = [...new Set(rows.map((r) => r.domain))].sort();
  const firstCheckpoint = props.checkpointSteps.length ? Math.min(...props.checkpointSteps) : null;

  const toggleDoc = (d: ExcludedDocument) =>
    setDocs((m) => {
      const next = new Map(m);
      if (next.has(docKey(d))) next.delete(docKey(d));
      else next.set(docKey(d), d);
      return next;
    });
  const toggleDomain = (d: string) => setDomains((s) => (s.has(d) ? new Set([...s].filter((x) => x !== d)) : new Set([...s, d])));
  const fork = async () => {
    if (!done) return;
    setForking(true);
    try {
      const run = await trpc.forensics.fork.mutate({ runId: props.runId, step: done.step, exclude: { domains: [...domains], documents: [...docs.values()] } });
      setForked({ id: run.id, name: run.name });
    } catch (e) {
      setError(e, "Fork");
    } finally {
      setForking(false);
    }
  };

  return (
    <section id="batch-forensics" className="rounded-lg border border-slate-800 p-4" data-testid="batch-forensics">
      <div className="mb-3 flex flex-wrap items-center gap-3">
        <h2 className="text-sm font-semibold text-slate-300">Batch forensics</h2>
        <form className="flex items-center gap-2" onSubmit={(e) => { e.preventDefault(); const n = Number(stepText); if (stepText.trim() !== "" && Number.isInteger(n) && n >= 0) setAsked(n); else setError("Give a step: a whole number, 0 or more"); }}>
          <label className="text-xs text-slate-400" htmlFor="forensics-step">Step</label>
          <input id="forensics-step" value={stepText} onChange={(e) => setStepText(e.target.value)} inputMode="numeric" data-testid="forensics-step"
            className="w-24 rounded border border-slate-600 bg-slate-950 px-2 py-0.5 font-mono text-sm text-slate-100" />
          <button type="submit" className={smallButton} data-testid="forensics-inspect">Inspect batch</button>
        </form>
        <span className="text-xs text-slate-500">
          {firstCheckpoint === null ? "Needs a checkpoint at or before the step; none yet." : `Rebuilt from the newest checkpoint at or before the step (first: step ${firstCheckpoint}).`}
        </span>
      </div>
      {error && <p role="alert" className="mb-2 text-sm text-rose-300" data-testid="forensics-error">{error}</p>}
      {answer?.state === "running" && (
        <div className="space-y-1" data-testid="forensics-progress">
          <div className="h-2 w-full max-w-md overflow-hidden rounded bg-slate-800">
            <div className="h-full bg-indigo-500 transition-all" style={{ width: `${Math.round(answer.fraction * 100)}%` }} />
          </div>
          <p className="text-xs text-slate-400">Rebuilding step {asked}: {answer.message} ({Math.round(answer.fraction * 100)}%)</p>
        </div>
      )}
      {done && (
        <div className="space-y-4" data-testid="forensics-result">
          <p className="text-sm text-slate-300">
            Step <span className="font-mono">{done.step}</span>: {done.rows.length} rows of {done.contextLength} tokens ({done.objective}), rebuilt from the checkpoint at step{" "}
            <span className="font-mono">{done.checkpointStep}</span>. Row losses are the <em>loss with the weights of step {done.checkpointStep}</em>; the loss logged at step {done.step} was{" "}
            <span className="font-mono" data-testid="forensics-logged-loss">{fmtNumber(done.loggedLoss, 4)}</span>.
          </p>
          {done.caveats.map((c) => <p key={c} className="rounded border border-amber-700/60 bg-amber-950/40 px-3 py-2 text-sm text-amber-200" data-testid="forensics-caveat">{c}</p>)}
          {done.decodeNote && <p className="text-xs text-slate-500">{done.decodeNote}</p>}
          {(done.excluded.domains.length > 0 || done.excluded.documents > 0) && (
            <p className="text-xs text-slate-500">This run already excludes {[done.excluded.domains.length ? `domains ${done.excluded.domains.join(", ")}` : "", done.excluded.documents ? `${done.excluded.documents} documents` : ""].filter(Boolean).join(" and ")}.</p>
          )}
          <div className="grid gap-6 lg:grid-cols-[3fr_1fr]">
            <ol className="max-h-[36rem] space-y-2 overflow-y-auto pr-1" data-testid="forensics-rows">
              {rows.map((r) => (
                <li key={r.row} className="rounded-md bg-slate-900 px-3 py-2" data-testid="forensics-row" data-domain={r.domain}>
                  <div className="flex flex-wrap items-center gap-3 text-sm">
                    <span className="font-mono text-xs text-slate-500">row {r.row}</span>
                    <span className="rounded bg-indigo-900/60 px-1.5 py-0.5 text-xs text-indigo-200" data-testid="domain-badge">{r.domain}</span>
                    <div className="h-2 w-40 overflow-hidden rounded bg-slate-800" title="this row's loss against the batch's highest">
                      <div className="h-full bg-rose-500" style={{ width: `${Math.round(((r.loss ?? maxLoss) / maxLoss) * 100)}%` }} />
                    </div>
                    <span className="font-mono tabular-nums text-slate-200" data-testid="row-loss">{r.loss === null ? "NaN" : r.loss.toFixed(4)}</span>
                  </div>
                  <ul className="mt-1 space-y-1">
                    {r.pieces.map((p) => {
                      const doc = p.docLength === null ? null : { domain: r.domain, start: p.docStart, length: p.docLength };
                      return (
                        <li key={`${p.offset}`} className="text-xs text-slate-400">
                          <label className="mr-2 inline-flex items-center gap-1">
                            <input type="checkbox" disabled={!doc} checked={doc ? docs.has(docKey(doc)) : false} onChange={() => doc && toggleDoc(doc)} data-testid="exclude-doc" />
                            <span className="font-mono">{r.domain}@{p.docStart}</span>
                          </label>
                          {p.tokens} tokens from offset {p.offset}{p.docLength !== null && ` of a ${p.docLength}-token document`}
                          <details className="mt-0.5">
                            <summary className="cursor-pointer text-slate-500 hover:text-slate-300">text</summary>
                            <pre className="mt-1 max-h-48 overflow-auto whitespace-pre-wrap break-words rounded bg-slate-950 p-2 font-mono text-xs text-slate-200">{p.text}{p.truncated && " …"}</pre>
                          </details>
                        </li>
                      );
                    })}
                  </ul>
                </li>
              ))}
            </ol>
            <div className="space-y-4">
              <div>
                <h3 className="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">Per-layer gradient norm</h3>
                {done.layersNote ? <p className="text-sm text-slate-500" data-testid="layers-note">{done.layersNote}</p> : (
                  <table className="w-full text-sm" data-testid="forensics-layers">
                    <thead className="text-left text-xs uppercase text-slate-500"><tr><th className="pr-2">Layer</th><th className="pr-2">Norm</th><th className="pr-2" title={`median of the ${done.medianWindow} logged steps before`}>Median</th><th>×</th></tr></thead>
                    <tbody className="font-mono tabular-nums">
                      {done.layers.map((l) => (
                        <tr key={l.row} className="border-t border-slate-800">
                          <td className="pr-2">{l.row}</td><td className="pr-2">{fmtNumber(l.value, 3)}</td><td className="pr-2 text-slate-400">{fmtNumber(l.median, 3)}</td>
                          <td className={l.ratio !== null && l.ratio >= RATIO_ALERT ? "font-semibold text-rose-300" : "text-slate-300"}>{l.ratio === null ? "–" : l.ratio.toFixed(2)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </div>
              <div>
                <h3 className="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">Exclude a whole domain</h3>
                {batchDomains.map((d) => (
                  <label key={d} className="mr-3 inline-flex items-center gap-1 text-sm text-slate-300">
                    <input type="checkbox" checked={domains.has(d)} onChange={() => toggleDomain(d)} data-testid="exclude-domain" data-domain={d} />{d}
                  </label>
                ))}
              </div>
              <div className="space-y-2">
                <button onClick={fork} disabled={forking || (docs.size === 0 && domains.size === 0)} data-testid="forensics-fork"
                  className="rounded bg-indigo-600 px-3 py-1 text-sm text-white hover:bg-indigo-500 disabled:opacity-40">
                  Exclude selected and fork from step {done.checkpointStep}
                </button>
                <p className="text-xs text-slate-500">{docs.size} document{docs.size === 1 ? "" : "s"}, {domains.size} domain{domains.size === 1 ? "" : "s"} selected. The new run goes on from the checkpoint at step {done.checkpointStep} with its weights, optimizer, schedule and data position, minus the excluded data.</p>
                {forked && <p className="text-sm text-emerald-300" data-testid="forensics-forked">Forked: <Link href={`/runs/${forked.id}`} className="underline">{forked.name}</Link></p>}
              </div>
            </div>
          </div>
        </div>
      )}
    </section>
  );
}
