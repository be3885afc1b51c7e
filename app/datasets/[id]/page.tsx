import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { DatasetView } from "../../components/datasets/dataset-view";
import { caller } from "../../lib/caller";

export const dynamic = "force-dynamic";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const dataset = await caller().dataset.get({ id: (await params).id }).catch(() => null);
  return { title: dataset ? `${dataset.name} · dataset` : "Dataset not found" };
}

export default async function DatasetPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const api = caller();
  const dataset = await api.dataset.get({ id }).catch(() => null);
  if (!dataset) notFound();
  const flagged = await api.dataset.flagged({ id, limit: 50 });
  return <DatasetView initial={dataset} flagged={flagged} />;
}
