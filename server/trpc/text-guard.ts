import { TRPCError } from "@trpc/server";
import { describeBadText, findBadText } from "../../lib/text-guard";

/**
 * Refuses any call whose raw input holds NUL or a lone surrogate, anywhere, before a validator or
 * resolver sees it: such text would otherwise fail inside a database driver as a 500. The issue
 * travels as the cause, so the error formatter names the field as it does for zod's issues.
 */
export async function textGuard<R>({ getRawInput, next }: { getRawInput: () => Promise<unknown>; next: () => Promise<R> }): Promise<R> {
  const bad = findBadText(await getRawInput());
  if (bad) {
    const cause = Object.assign(new Error(describeBadText(bad)), { issues: [{ path: bad.path, message: bad.message }] });
    throw new TRPCError({ code: "BAD_REQUEST", message: describeBadText(bad), cause });
  }
  return next();
}
