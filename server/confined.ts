import { TRPCError } from "@trpc/server";
import { confine, PathRefused } from "./confine";

/**
 * confine() for a path named in a request: the refusal becomes a 403 that names the field and
 * the rule (the same words whether or not the file exists); the real path is returned otherwise.
 */
export function confinedPath(p: string, roots: readonly string[], what: string, field?: string, where?: string): string {
  try {
    return confine(p, roots, what, where);
  } catch (e) {
    if (!(e instanceof PathRefused)) throw e;
    throw new TRPCError({ code: "FORBIDDEN", message: field ? `${field}: ${e.message}` : e.message, cause: e });
  }
}
