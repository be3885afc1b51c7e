"use client";
import { useEffect, useState } from "react";
import type { RouterOutputs } from "../../../server/trpc/router";
import { fmtBytes, fmtInt, fmtNumber, fmtTime } from "../../lib/format";
import { trpc } from "../../lib/trpc";
import { BarChart } from "../charts/bar-chart";
import { DatasetStatus, ProgressBar } from "./datasets-table";
import { useLiveDatasets } from "./use-live-datasets";

type Detail = RouterOutputs["dataset"]["get"];
type Flagged = RouterOutputs["dataset"]["flagged"];
type Report = NonNullable<Detail["manifest"]>["stages"][number];

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function DatasetView({ initial, flagged }: { initial: Detail; flagged: Flagged }) {
  const [detail, setDetail] = useState(initial);
  const { datasets, progress } = useLiveDatasets([initial]);
  const live = datasets.find((d) => d.id === initial.id)!;
  const p = progress[initial.id];
  useEffect(() => {
    if (live.status !== detail.status) void trpc.dataset.get.query({ id: initial.id }).then(setDetail);
  }, [live.status, detail.status, initial.id]);
  const m = detail.manifest;
  const active = live.status === "preparing" || live.status === "queued";

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-xl font-semibold text-slate-100">{live.name}</h1>
        <DatasetStatus status={live.status} />
        <span className="font-mono text-xs text-slate-400">{live.id}</span>
        {active && (
          <button onClick={() => void trpc.dataset.cancel.mutate({ id: live.id })} className="ml-auto rounded-md border border-slate-600 px-3 py-1.5 text-sm hover:bg-slate-800">Cancel</button>
        )}
      </div>
      {active && <ProgressBar fraction={p?.progress ?? live.progress} label={p?.message ?? live.message ?? "queued"} />}
      {live.error && <p role="alert" className="rounded-md border border-rose-500/40 bg-rose-500/10 px-3 py-2 text-sm text-rose-200">{live.error}</p>}
      {m && <Prepared m={m} flagged={flagged} />}
    </div>
  );
}

function Prepared({ m, flagged }: { m: NonNullable<Detail["manifest"]>; flagged: Flagged }) {
  const domains = Object.keys(m.domains).concat(m.emptyDomains);
  const stages = m.stages.map((s) => s.step);
  const byDomain = (domain: string) => m.stagesByDomain.filter((r) => r.domain === domain);
  const loaded = (domain: string) => m.sources.find((s) => s.domain === domain)?.documents ?? 0;
  return (
    <>
      <div className="grid gap-3 sm:grid-cols-4">
        <Stat label="Documents" value={fmtInt(Object.values(m.domains).reduce((n, d) => n + d.documents + d.valDocuments, 0))} />
        <Stat label="Training tokens" value={fmtInt(m.shards.filter((s) => s.split === "train").reduce((n, s) => n + s.tokens, 0))} />
        <Stat label="Flagged" value={fmtInt(m.flaggedCount)} />
        <Stat label="Prepared in" value={`${m.durationSec.toFixed(1)} s · ${m.throughputMBps.toFixed(2)} MB/s`} />
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        <BarChart testId="chart-stages" title="Documents after each step, by domain" labels={["loaded", ...stages]}
          series={domains.map((d) => ({ label: d, values: [loaded(d), ...stages.map((s) => byDomain(d).find((r) => r.step === s)?.docsOut ?? 0)] }))} />
        <BarChart testId="chart-tokens" title="Training tokens per domain" labels={Object.keys(m.domains)}
          series={[{ label: "tokens", values: Object.values(m.domains).map((d) => d.trainTokens) }]} />
      </div>

      <Section title="Dedup and filter rates by domain">
        <p className="mb-2 text-xs text-slate-500">Each cell: documents removed · bytes removed. Hover for the counts.</p>
        <table className="w-full text-sm" data-testid="rates">
          <thead className="text-left text-xs uppercase text-slate-500"><tr><th className="py-1">Domain</th>{stages.map((s) => <th key={s} className="px-2">{s}</th>)}</tr></thead>
          <tbody className="font-mono tabular-nums">
            {domains.map((d) => (
              <tr key={d} className="border-t border-slate-800">
                <td className="py-1 font-sans">{d}</td>
                {stages.map((s) => {
                  const r = byDomain(d).find((x) => x.step === s);
                  return <td key={s} className="px-2" title={r ? `${r.docsIn} → ${r.docsOut} documents, ${fmtBytes(r.bytesIn)} → ${fmtBytes(r.bytesOut)}` : ""}>{r && r.enabled ? (r.docsIn ? `${pct(1 - r.docsOut / r.docsIn)} · ${pct(1 - r.bytesOut / Math.max(1, r.bytesIn))}` : "—") : "off"}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </Section>

      <Section title="Mixture and tokenizer">
        <p className="mb-2 text-sm text-slate-400">Byte-level BPE, vocabulary {fmtInt(m.tokenizer.vocabSize)}, trained on {fmtBytes(m.tokenizer.trainBytes)} in {m.tokenizer.trainSeconds.toFixed(1)} s.</p>
        <table className="w-full text-sm" data-testid="domains">
          <thead className="text-left text-xs uppercase text-slate-500"><tr><th className="py-1">Domain</th><th>Weight</th><th>Documents</th><th>Bytes</th><th>Train tokens</th><th>Val tokens</th><th>Bytes/token</th><th>Epochs per 1M tokens</th></tr></thead>
          <tbody className="font-mono tabular-nums">
            {Object.entries(m.domains).map(([d, s]) => (
              <tr key={d} className="border-t border-slate-800">
                <td className="py-1 font-sans">{d}</td><td>{pct(s.weight)}</td><td>{fmtInt(s.documents)}</td><td>{fmtBytes(s.bytes)}</td>
                <td>{fmtInt(s.trainTokens)}</td><td>{fmtInt(s.valTokens)}</td><td>{fmtNumber(s.bytesPerToken, 2)}</td>
                <td>{fmtNumber((1e6 * s.weight) / Math.max(1, s.trainTokens), 2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <LongestTokens summary={m.tokenizer.summary} />
        {m.emptyDomains.length > 0 && <p className="mt-2 text-sm text-amber-300">No documents left in: {m.emptyDomains.join(", ")} — left out of the mixture.</p>}
      </Section>

      <Section title="Before and after">
        <div className="space-y-2">
          {m.stages.filter((s) => s.examples.length).map((s) => <Examples key={s.step} report={s} />)}
        </div>
      </Section>

      <Section title={`Flagged documents (${fmtInt(flagged.total)})`}>
        {flagged.items.length === 0 ? <p className="text-sm text-slate-500">None.</p> : (
          <ul className="max-h-[32rem] space-y-2 overflow-y-auto pr-1" data-testid="flagged">
            {(flagged.items as { id: string; domain: string; score: number; hits: string[]; text: string }[]).map((f) => (
              <li key={f.id} className="rounded border border-slate-800 p-2 text-sm">
                <div className="flex gap-3 text-xs text-slate-400"><span>{f.domain}</span><span>score {fmtNumber(f.score, 1)}</span><span className="truncate">{f.hits.join(", ")}</span></div>
                <details><summary className="cursor-pointer text-slate-300">{f.id}</summary><pre className="mt-1 whitespace-pre-wrap text-xs text-slate-400">{f.text}</pre></details>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <p className="text-xs text-slate-500">Prepared {fmtTime(m.createdAt)} · {m.sources.map((s) => `${s.domain}: ${s.kind} (${s.fingerprint})`).join(" · ")}</p>
    </>
  );
}

function Examples({ report }: { report: Report }) {
  return (
    <details className="rounded border border-slate-800 p-2">
      <summary className="cursor-pointer text-sm text-slate-300">{report.step}: {fmtInt(report.docsIn)} → {fmtInt(report.docsOut)} documents, {fmtBytes(report.bytesIn)} → {fmtBytes(report.bytesOut)}</summary>
      {report.examples.map((e) => (
        <div key={e.id} className="mt-2 grid gap-2 md:grid-cols-2">
          <pre className="max-h-48 overflow-auto whitespace-pre-wrap rounded bg-slate-900 p-2 text-xs text-slate-400"><b className="text-slate-300">before · {e.id}</b>{"\n"}{e.before}</pre>
          <pre className="max-h-48 overflow-auto whitespace-pre-wrap rounded bg-slate-900 p-2 text-xs text-slate-300"><b>{e.after === undefined ? `removed: ${e.reason ?? ""}` : "after"}</b>{"\n"}{e.after ?? ""}</pre>
        </div>
      ))}
    </details>
  );
}

function LongestTokens({ summary }: { summary: unknown }) {
  const s = summary as { meanBytes?: number; longest?: { id: number; text: string; bytes: number }[] } | null;
  if (!s?.longest?.length) return null;
  return (
    <div className="mt-3 text-sm">
      <p className="text-slate-400">Mean token length {fmtNumber(s.meanBytes, 2)} bytes. Longest tokens:</p>
      <div className="mt-1 flex flex-wrap gap-1.5" data-testid="longest-tokens">
        {s.longest.slice(0, 20).map((t) => (
          <code key={t.id} title={`id ${t.id}, ${t.bytes} bytes`} className="rounded bg-slate-800 px-1.5 py-0.5 text-xs text-slate-200">{JSON.stringify(t.text).slice(1, -1)}</code>
        ))}
      </div>
    </div>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return <div className="rounded-lg border border-slate-800 bg-slate-900 p-3"><p className="text-xs uppercase text-slate-500">{label}</p><p className="font-mono text-lg tabular-nums text-slate-100">{value}</p></div>;
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return <section className="rounded-lg border border-slate-800 p-4"><h2 className="mb-2 text-sm font-semibold text-slate-300">{title}</h2>{children}</section>;
}
