import { RunsTable } from "./components/runs-table";
import { caller } from "./lib/caller";

export const dynamic = "force-dynamic";

export default async function RunsPage() {
  const runs = await caller().run.list();
  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold text-slate-100">Runs</h1>
      <RunsTable initial={runs} />
    </div>
  );
}
