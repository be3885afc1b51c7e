"use client";
import { useEffect, useState } from "react";
import type { BackendReport } from "../../../lib/backends";
import { trpc } from "../../lib/trpc";

/** The server's probe of this machine's backends; the first call takes a few seconds. */
export function useBackendReport(): { report: BackendReport | null; error: string | null } {
  const [state, setState] = useState<{ report: BackendReport | null; error: string | null }>({ report: null, error: null });
  useEffect(() => {
    let live = true;
    trpc.backends.query().then(
      (report) => live && setState({ report, error: null }),
      (e: Error) => live && setState({ report: null, error: e.message }),
    );
    return () => {
      live = false;
    };
  }, []);
  return state;
}
