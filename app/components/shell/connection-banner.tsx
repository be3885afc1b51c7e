"use client";
import { useEffect, useState } from "react";
import { connectionLost, onConnection } from "../../lib/connection";
import { liveSocket } from "../../lib/socket";
import { trpc } from "../../lib/trpc";

/** While calls fail this often, a light call checks whether the server answers again. */
const PROBE_MS = 3000;

/** Says, above every page, that the server is gone, until the socket reconnects or a call is answered. */
export function ConnectionBanner() {
  const [lost, setLost] = useState(false);
  useEffect(() => {
    liveSocket();
    setLost(connectionLost());
    return onConnection(setLost);
  }, []);
  useEffect(() => {
    if (!lost) return;
    // The probe's own outcome is what the banner shows (the tRPC link reports it), so its error needs no handling here.
    const timer = setInterval(() => void trpc.auth.me.query().catch(() => undefined), PROBE_MS);
    return () => clearInterval(timer);
  }, [lost]);
  if (!lost) return null;
  return (
    <div role="status" aria-live="polite" data-testid="connection-banner" className="sticky top-0 z-40 border-b border-rose-500/40 bg-rose-950 text-sm text-rose-100">
      <p className="mx-auto flex max-w-7xl items-center gap-2 px-4 py-2 md:px-6">
        <span className="h-3 w-3 shrink-0 animate-spin rounded-full border-2 border-rose-300/40 border-t-rose-200" aria-hidden />
        Connection to the server lost — retrying…
      </p>
    </div>
  );
}
