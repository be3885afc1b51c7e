import type { Metadata } from "next";
import { CheckpointCompareView } from "../../components/checkpoint-compare/checkpoint-compare-view";
import { parseCheckpointParams } from "../../components/checkpoint-compare/checkpoint-params";
import { caller } from "../../lib/caller";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Compare checkpoints" };

export default async function CompareCheckpointsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { params, dropped } = parseCheckpointParams(await searchParams);
  const api = caller();
  const runs = (await api.run.list()).map((r) => ({ id: r.id, name: r.name, status: r.status }));
  let summary = null;
  let error: string | null = null;
  // A link to a run or checkpoint since deleted still opens: the page says which, and the picker can remove it.
  if (params.checkpoints.length > 0)
    summary = await api.checkpointCompare.summary({ checkpoints: params.checkpoints }).catch((e: Error) => ((error = e.message), null));
  return <CheckpointCompareView key={params.checkpoints.map((c) => `${c.runId}@${c.step}`).join(",")} runs={runs} params={params} summary={summary} error={error} dropped={dropped} />;
}
