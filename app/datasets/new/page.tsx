import type { Metadata } from "next";
import { DatasetForm } from "../../components/datasets/dataset-form";

export const metadata: Metadata = { title: "New dataset" };

export default function NewDatasetPage() {
  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold text-slate-100">Prepare a dataset</h1>
      <p className="max-w-3xl text-sm text-slate-400">
        Sources are cleaned in order — markup, normalisation, exact and near-duplicate removal, quality and harmful-content filters — then mixed by weight and tokenized with a byte-level BPE trained on the result. The same settings prepare once: a second request reuses the cache.
      </p>
      <DatasetForm />
    </div>
  );
}
