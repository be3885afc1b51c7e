"use client";
import { useEffect, useRef, useState } from "react";

/**
 * A query asked again every `everyMs` while the page is open. A failed refresh keeps the last
 * answer on screen and says why, so a table left open shows the server went away rather than
 * emptying.
 */
export function usePolled<T>(load: () => Promise<T>, everyMs: number, initial: T | null = null, enabled = true): { data: T | null; error: string | null } {
  const [state, setState] = useState<{ data: T | null; error: string | null }>({ data: initial, error: null });
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    let inFlight = false;
    const tick = () => {
      if (inFlight) return;
      inFlight = true;
      loadRef.current().then(
        (data) => live && setState({ data, error: null }),
        (e: unknown) => live && setState((s) => ({ data: s.data, error: e instanceof Error ? e.message : String(e) })),
      ).finally(() => (inFlight = false));
    };
    tick();
    const timer = setInterval(tick, everyMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [everyMs, enabled]);
  return state;
}
