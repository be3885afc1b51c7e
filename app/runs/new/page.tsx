import type { Metadata } from "next";
import Link from "next/link";
import { RunForm } from "../../components/run-form/run-form";
import { caller } from "../../lib/caller";

export const dynamic = "force-dynamic";

/** `?fork=<runId>@<step>` starts the form from that run's config, to continue from that checkpoint. */
async function forkOf(param: string | undefined) {
  const m = /^([^@]+)@(\d+)$/.exec(param ?? "");
  if (!m) return null;
  const parent = await caller().run.get({ id: m[1] }).catch(() => null);
  return parent && { runId: parent.id, runName: parent.name, step: Number(m[2]), config: parent.config };
}

export const metadata: Metadata = { title: "New run" };

export default async function NewRunPage({ searchParams }: { searchParams: Promise<{ fork?: string }> }) {
  const fork = await forkOf((await searchParams).fork);
  const datasets = (await caller().dataset.list()).filter((d) => d.status === "ready");
  const evalSets = await caller().evalSet.list();
  // The newest run that measured its throughput: the form scales it to the config being typed.
  const measured = (await caller().run.list()).find((r) => r.tokensPerSec && r.paramCount);
  const throughput = measured && {
    runName: measured.name,
    backend: measured.backend ?? "unknown",
    tokensPerSec: measured.tokensPerSec!,
    flopsPerToken: 6 * measured.paramCount! + 12 * measured.config.nLayer * measured.config.dModel * measured.config.contextLength,
  };
  const stamp = new Date().toISOString().slice(5, 16).replace("T", "-").replace(":", "");
  return (
    <div className="space-y-4">
      <div className="flex items-baseline gap-3">
        <h1 className="text-xl font-semibold text-slate-100">{fork ? "Fork a run" : "New run"}</h1>
        {!fork && <Link href="/runs/sweep" className="text-sm text-indigo-300 hover:underline" data-testid="new-sweep-link">or an IsoFLOP sweep of many</Link>}
      </div>
      <RunForm defaultName={`gpt-${stamp}`} datasets={datasets.map((d) => ({ id: d.id, name: d.name, vocabSize: d.vocabSize, domains: d.spec.sources.map((x) => x.domain) }))} evalSets={evalSets} throughput={throughput ?? null} fork={fork} />
    </div>
  );
}
