import type { Metadata } from "next";
import Link from "next/link";
import { DatasetsTable } from "../components/datasets/datasets-table";
import { caller } from "../lib/caller";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Datasets" };

export default async function DatasetsPage() {
  const datasets = await caller().dataset.list();
  return (
    <div className="space-y-4">
      <div className="flex items-center">
        <h1 className="text-xl font-semibold text-slate-100">Datasets</h1>
        <Link href="/datasets/new" className="ml-auto rounded-md border border-slate-600 px-3 py-1.5 text-sm hover:bg-slate-800">Prepare dataset</Link>
      </div>
      <DatasetsTable initial={datasets} />
    </div>
  );
}
