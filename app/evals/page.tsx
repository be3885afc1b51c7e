import type { Metadata } from "next";
import { EvalSets } from "../components/evals/eval-sets";
import { caller } from "../lib/caller";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Benchmarks" };

export default async function EvalsPage() {
  const sets = await caller().evalSet.list();
  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold text-slate-100">Benchmarks</h1>
      <EvalSets initial={sets} />
    </div>
  );
}
