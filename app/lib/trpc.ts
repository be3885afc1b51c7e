"use client";
import { createTRPCClient, httpBatchLink, TRPCClientError, type TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";
import type { AppRouter } from "../../server/trpc/router";
import { reportFetch } from "./connection";
import { isNetworkError } from "./errors";

/** Tells the connection banner whether calls reach the server: any answer, even an error, means they do. */
const watchLink: TRPCLink<AppRouter> = () => ({ next, op }) =>
  observable((observer) =>
    next(op).subscribe({
      next(value) {
        reportFetch(true);
        observer.next(value);
      },
      error(e) {
        reportFetch(!isNetworkError(e));
        observer.error(e);
      },
      complete: () => observer.complete(),
    }),
  );

export const trpc = createTRPCClient<AppRouter>({ links: [watchLink, httpBatchLink({ url: "/api/trpc" })] });

/** Field errors the server's zod validation attached to a failed call, if any. */
export function serverFieldErrors(e: unknown): Record<string, string> | null {
  if (e instanceof TRPCClientError) return (e.data?.fieldErrors as Record<string, string> | null) ?? null;
  return null;
}
