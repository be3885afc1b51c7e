import type { Metadata } from "next";
import pkg from "../../package.json";
import { WorkersTable } from "../components/workers/workers-table";
import { caller } from "../lib/caller";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Workers" };

export default async function WorkersPage() {
  const workers = await caller().worker.list();
  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold text-slate-100">Workers</h1>
      <WorkersTable initial={workers} serverVersion={pkg.version} />
    </div>
  );
}
