import { TRPCError } from "@trpc/server";
import { PathRefused } from "../confine";

/**
 * A PathRefused that a service let through (it called confine() directly) is answered as the 403
 * it is, with its rule, rather than as an internal error.
 */
export async function pathRefusals<R extends { ok: boolean; error?: TRPCError }>({ next }: { next: () => Promise<R> }): Promise<R> {
  const result = await next();
  const cause = result.ok ? null : result.error?.cause;
  if (cause instanceof PathRefused) throw new TRPCError({ code: "FORBIDDEN", message: cause.message, cause });
  return result;
}
