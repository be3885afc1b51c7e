import type { Metadata } from "next";
import { querySetsRemembered, viewFromQuery } from "../lib/run-filter";
import { RunsTable } from "./components/runs/runs-table";
import { caller } from "./lib/caller";

export const dynamic = "force-dynamic";

// The root segment is the layout's own, so its title template does not apply here.
export const metadata: Metadata = { title: { absolute: "Runs · Pretrain" } };

export default async function RunsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const api = caller();
  const params = await searchParams;
  const [runs, metricKeys] = await Promise.all([api.run.list(), api.compare.metricKeys({})]);
  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold text-slate-100">Runs</h1>
      <RunsTable initial={runs} initialView={viewFromQuery(params)} metricKeys={metricKeys} remember={!querySetsRemembered(params)} />
    </div>
  );
}
