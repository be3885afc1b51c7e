"use client";
import { TRPCClientError } from "@trpc/client";
import { useCallback, useEffect, useState } from "react";
import { onConnection } from "./connection";

/** Said instead of the browser's "Failed to fetch" when the server did not answer at all. */
export const NETWORK_MESSAGE = "The server could not be reached, so nothing was done. Try again once the connection is back.";

/** A request that never got an answer: the server is down or the network is. */
export function isNetworkError(e: unknown): boolean {
  const message = e instanceof Error ? e.message : "";
  const cause = e instanceof TRPCClientError ? e.cause : null;
  return cause instanceof TypeError || /failed to fetch|networkerror|load failed|fetch failed|network request failed/i.test(message);
}

/** The text to show for a failed call: a plain sentence for network failures, the server's message otherwise. */
export function errorText(e: unknown): string {
  if (isNetworkError(e)) return NETWORK_MESSAGE;
  return e instanceof Error ? e.message : String(e);
}

/**
 * An action's error message, shown until the next action; one caused by a lost connection also
 * clears itself once the connection is back. `set(e, prefix)` takes the caught error (or null).
 */
export function useActionError() {
  const [error, setError] = useState<{ text: string; network: boolean } | null>(null);
  const network = error?.network ?? false;
  useEffect(() => {
    if (!network) return;
    return onConnection((lost) => !lost && setError(null));
  }, [network]);
  const set = useCallback((e: unknown, prefix?: string) => {
    if (e === null) return setError(null);
    const text = typeof e === "string" ? e : errorText(e);
    setError({ text: prefix ? `${prefix}: ${text}` : text, network: typeof e !== "string" && isNetworkError(e) });
  }, []);
  return [error?.text ?? null, set] as const;
}
