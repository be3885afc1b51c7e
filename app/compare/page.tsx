import type { Metadata } from "next";
import Link from "next/link";
import { parseCompareParams } from "../components/compare/compare-params";
import { CompareView } from "../components/compare/compare-view";
import { caller } from "../lib/caller";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Compare" };

export default async function ComparePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { params, dropped } = parseCompareParams(await searchParams);
  if (params.runs.length === 0)
    return (
      <div className="space-y-4">
        <h1 className="text-xl font-semibold text-slate-100">Compare runs</h1>
        <p className="rounded-lg border border-dashed border-slate-700 p-10 text-center text-slate-400" data-testid="compare-empty">
          No runs chosen. Tick runs on the <Link href="/" className="text-indigo-300 underline">runs page</Link> and press Compare.
        </p>
      </div>
    );
  const api = caller();
  const [{ runs, missing }, summary] = await Promise.all([api.compare.runs({ runIds: params.runs }), api.compare.summary({ runIds: params.runs })]);
  const found = runs.map((r) => r.id);
  const keys = found.length ? await api.compare.metricKeys({ runIds: found }) : [];
  const histories = found.length ? await api.compare.history({ runIds: found, keys }) : {};
  return <CompareView runs={runs} histories={histories} summary={summary.rows} keys={keys} params={params} missing={missing} dropped={dropped} />;
}
