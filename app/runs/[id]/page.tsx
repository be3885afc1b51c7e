import { notFound } from "next/navigation";
import { RunView } from "../../components/run-view";
import { caller } from "../../lib/caller";

export const dynamic = "force-dynamic";

export default async function RunPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const api = caller();
  const run = await api.run.get({ id }).catch(() => null);
  if (!run) notFound();
  const [checkpoints, history, alerts, forks, parent] = await Promise.all([
    api.checkpoint.list({ runId: id }),
    api.metric.history({ runId: id }),
    api.alert.list({ runId: id, limit: 500 }),
    api.run.forks({ id }),
    run.config.initFrom ? api.run.get({ id: run.config.initFrom.runId }).catch(() => null) : null,
  ]);
  const lineage = { parent: parent && run.config.initFrom && { id: parent.id, name: parent.name, step: run.config.initFrom.step }, forks };
  return <RunView run={run} checkpoints={checkpoints} history={history} alerts={alerts} lineage={lineage} />;
}
