import Link from "next/link";
import type { Caller } from "../../../server/trpc/router";

/** Says on every page that nobody signs in while the server is in local single-user mode. */
export async function LocalModeBanner() {
  // Absent while `next build` prerenders: the custom server sets it at start.
  const api = (globalThis as { __appCaller?: Caller }).__appCaller;
  if (!api || (await api.auth.me()).mode !== "local") return null;
  return (
    <div className="border-b border-amber-500/30 bg-amber-500/10 text-sm text-amber-200" data-testid="local-mode-banner">
      <p className="mx-auto max-w-7xl px-6 py-2">
        Local mode — no sign-in; anyone on this machine can use the dashboard.{" "}
        <Link href="/setup" className="font-medium text-amber-100 underline hover:text-white">Create an admin</Link> to turn on sign-in.
      </p>
    </div>
  );
}
