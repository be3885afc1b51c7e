import path from "node:path";
import type { Metadata } from "next";
import { ConnectSetup } from "../components/connect/connect-setup";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Connect a trainer" };

export default function ConnectPage() {
  // Read per request: the custom server validated both at start (server/env.ts).
  const publicUrl = process.env.PUBLIC_URL || null;
  const importRoots = (process.env.IMPORT_ROOTS ?? "").split(path.delimiter).filter(Boolean).map((r) => path.resolve(r));
  return (
    <div className="max-w-4xl space-y-4">
      <div className="space-y-1">
        <h1 className="text-xl font-semibold text-slate-100">Connect a trainer</h1>
        <p className="text-sm text-slate-400">Send runs from your own training code: pick the set-up that matches it, paste it, and start training.</p>
      </div>
      <ConnectSetup publicUrl={publicUrl} clientPath={path.join(process.cwd(), "clients", "python")} importRoots={importRoots} />
    </div>
  );
}
