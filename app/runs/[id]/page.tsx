import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { parseChartSettings } from "../../components/charts/chart-settings";
import { OutsideRunView } from "../../components/outside/outside-run-view";
import { RunView } from "../../components/run/run-view";
import { caller } from "../../lib/caller";

export const dynamic = "force-dynamic";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const run = await caller().run.get({ id: (await params).id }).catch(() => null);
  return { title: run ? run.name : "Run not found" };
}

export default async function RunPage({ params, searchParams }: {
  params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const query = await searchParams;
  const api = caller();
  const run = await api.run.get({ id }).catch(() => null);
  if (!run) notFound();
  if (run.source !== "trainer") {
    // Its config is a placeholder: an outside run's params, names and roles come with its detail.
    const [detail, metrics, alerts] = await Promise.all([api.outside.detail({ runId: id }), api.metric.keys({ runId: id }), api.alert.list({ runId: id, limit: 500 })]);
    return <OutsideRunView run={run} detail={detail} startTime={metrics.startTime} alerts={alerts} settings={parseChartSettings(query)} naive={query.naive === "1"} />;
  }
  // The charts load their own series (metric.range); the page only needs which keys there are.
  const [checkpoints, metrics, alerts, forks, parent] = await Promise.all([
    api.checkpoint.list({ runId: id }),
    api.metric.keys({ runId: id }),
    api.alert.list({ runId: id, limit: 500 }),
    api.run.forks({ id }),
    run.config.initFrom ? api.run.get({ id: run.config.initFrom.runId }).catch(() => null) : null,
  ]);
  const lineage = { parent: parent && run.config.initFrom && { id: parent.id, name: parent.name, step: run.config.initFrom.step }, forks };
  return (
    <RunView run={run} checkpoints={checkpoints} metrics={metrics} alerts={alerts} lineage={lineage}
      settings={parseChartSettings(query)} naive={query.naive === "1"} />
  );
}
