import { TRPCError } from "@trpc/server";
import { PathRefused } from "../confine";

/**
 * A PathRefused that a service let through (it called confine() directly) is answered as the 403
 * it is, with its rule, rather than as an internal error.
 */
export async function pathRefusals<R extends { ok: boolean; error?: TRPCError }>({ next }: { next: () => Promise<R> }): Promise<R> {
  const result = await next();
  // Already a TRPCError of its own (confinedPath names the field): left as it is.
  const cause = result.ok || result.error?.code !== "INTERNAL_SERVER_ERROR" ? null : result.error.cause;
  if (cause instanceof PathRefused) throw new TRPCError({ code: "FORBIDDEN", message: cause.message, cause });
  return result;
}
