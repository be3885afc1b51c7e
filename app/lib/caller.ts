import type { Caller } from "../../server/trpc/router";

/**
 * The tRPC caller the custom server puts on globalThis. Server components use it so that
 * Prisma and the run supervisor live once, in the server process, not in Next's bundles.
 */
export function caller(): Caller {
  const c = (globalThis as { __appCaller?: Caller }).__appCaller;
  if (!c) throw new Error("The dashboard must be started through server/index.ts (npm start)");
  return c;
}
