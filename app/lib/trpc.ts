"use client";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import type { AppRouter } from "../../server/trpc/router";

export const trpc = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "/api/trpc" })] });

/** Field errors the server's zod validation attached to a failed call, if any. */
export function serverFieldErrors(e: unknown): Record<string, string> | null {
  if (e instanceof TRPCClientError) return (e.data?.fieldErrors as Record<string, string> | null) ?? null;
  return null;
}
