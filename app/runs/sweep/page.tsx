import type { Metadata } from "next";
import { SweepForm } from "../../components/sweep/sweep-form";
import { caller } from "../../lib/caller";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "IsoFLOP sweep" };

export default async function SweepPage() {
  const datasets = (await caller().dataset.list()).filter((d) => d.status === "ready");
  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold text-slate-100">IsoFLOP sweep</h1>
      <p className="max-w-3xl text-sm text-slate-400">
        One run per compute budget × model size. Each run trains for the steps that make 6·N·D ≈ C, with D = steps × batch × context
        and N every parameter. The runs queue under the server’s trainer limit, filed under project sweep-&lt;name&gt; with labels C:… and N:…,
        so the compare page’s scaling panel can fit them.
      </p>
      <SweepForm datasets={datasets.map((d) => ({ id: d.id, name: d.name }))} />
    </div>
  );
}
