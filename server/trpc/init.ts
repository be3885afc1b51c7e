import { initTRPC, TRPCError } from "@trpc/server";
import type { Scope } from "../../lib/auth";
import type { Auth } from "../auth";
import { refusal, type Resolved } from "../auth/principal";
import { touchesGlobalWebhook } from "../auth/webhook-guard";
import type { Services } from "../services";
import { formatError } from "./errors";
import { pathRefusals } from "./path-refusals";
import { textGuard } from "./text-guard";

export interface Context extends Resolved {
  services: Services;
  /** Absent for callers that only read through the services (tests of one router). */
  auth?: Auth;
  /** Set-Cookie on the answer: login and logout. */
  setCookie?: (cookie: string) => void;
  /** The caller's address, for login throttling. */
  ip?: string;
  cookieHeader?: string;
}

const t = initTRPC.context<Context>().create({
  isDev: process.env.NODE_ENV === "development",
  errorFormatter: formatError,
});

/** Refuses a caller that lacks `scope` (401 without credentials, 403 without the right). */
export function requireScope(ctx: Context, scope: Scope) {
  const refused = refusal(ctx, scope);
  if (refused) throw refused;
}

/** The auth service, for procedures that cannot work without it. */
export function authOf(ctx: Context): Auth {
  if (!ctx.auth) throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "No authentication service in this context" });
  return ctx.auth;
}

export const router = t.router;
const needs = (scope: (type: string) => Scope) =>
  t.middleware(({ ctx, type, next }) => {
    requireScope(ctx, scope(type));
    return next();
  });
/** Every procedure checks its caller first: queries need read, mutations need write. */
export const procedure = t.procedure.use(needs((type) => (type === "mutation" ? "write" : "read"))).use(textGuard).use(pathRefusals);
/** Needs the admin role, and the admin scope on a key. */
export const adminProcedure = t.procedure.use(needs(() => "admin")).use(textGuard).use(pathRefusals);
/** A signed-in person's own account (their API keys), whatever their role; keys cannot manage keys. */
export const accountProcedure = t.procedure
  .use(({ ctx, next }) => {
    requireScope(ctx, "read");
    const p = ctx.principal;
    if (p?.kind === "key") throw new TRPCError({ code: "FORBIDDEN", message: "API keys are managed from a signed-in session, not with a key" });
    if (p?.kind === "server") throw new TRPCError({ code: "FORBIDDEN", message: "Pages render read-only" });
    return next();
  })
  .use(textGuard)
  .use(pathRefusals);
/** After `.input()` on a webhook mutation: global webhooks are the admins' to change. */
export const globalWebhookNeedsAdmin = t.middleware(async ({ ctx, input, next }) => {
  // The local admin and admins pass before any lookup (a test's context may hold no database).
  if (refusal(ctx, "admin") && (await touchesGlobalWebhook(ctx.services.db, input))) requireScope(ctx, "admin");
  return next();
});
/** Without credentials: only signing in, out and the session's own status. Input text is checked on every kind. */
export const publicProcedure = t.procedure.use(textGuard).use(pathRefusals);
export const createCallerFactory = t.createCallerFactory;
