"use client";
import { useEffect, useState } from "react";
import type { RouterOutputs } from "../../server/trpc/router";
import { trpc } from "./trpc";

export type Me = RouterOutputs["auth"]["me"];

// One ask per page load, shared by the header and the pages that need it.
let pending: Promise<Me> | null = null;

/** Who this tab is signed in as, and the server's mode; null until known. */
export function useMe(): Me | null {
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => {
    pending ??= trpc.auth.me.query();
    let live = true;
    pending.then((m) => live && setMe(m), () => { pending = null; });
    return () => { live = false; };
  }, []);
  return me;
}
