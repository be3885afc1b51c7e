import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { LoginInput, NewApiKey, NewUser, PasswordReset, SetupInput, UserUpdate } from "../../lib/auth";
import type { Principal } from "../auth/principal";
import { accountProcedure, adminProcedure, authOf, type Context, procedure, publicProcedure, router } from "./init";

const Id = z.object({ id: z.string().min(1).max(64) });

/** The person behind a session or key; in local mode there is none. */
function personOf(ctx: Context) {
  const p = ctx.principal as Principal;
  if (p.kind === "session" || p.kind === "key") return p.user;
  throw new TRPCError({ code: "BAD_REQUEST", message: "API keys belong to users: create an admin first (Users page), then sign in" });
}

const isAdmin = (p: Principal | null) => p?.kind === "local" || ((p?.kind === "session" || p?.kind === "key") && p.user.role === "admin" && (p.kind === "session" || p.scopes.includes("admin")));

export const authRouter = router({
  /** The mode (local, setup or on) and who is asking. */
  me: publicProcedure.query(async ({ ctx }) => {
    const p = ctx.principal;
    const mode = await authOf(ctx).mode();
    const user = p && (p.kind === "session" || p.kind === "key") ? p.user : null;
    return { mode, user, role: p?.kind === "local" ? ("admin" as const) : user?.role ?? null, via: p?.kind ?? null };
  }),
  login: publicProcedure.input(LoginInput).mutation(async ({ ctx, input }) => {
    const { cookie, user } = await authOf(ctx).login(input, ctx.ip ?? "");
    ctx.setCookie?.(cookie);
    return { user };
  }),
  logout: publicProcedure.mutation(async ({ ctx }) => {
    ctx.setCookie?.(await authOf(ctx).logout(ctx.cookieHeader));
    return { ok: true };
  }),
  setup: publicProcedure.input(SetupInput).mutation(async ({ ctx, input }) => {
    const { cookie, user } = await authOf(ctx).setup(input, ctx.ip ?? "");
    ctx.setCookie?.(cookie);
    return { user };
  }),
});

export const userRouter = router({
  list: adminProcedure.query(({ ctx }) => authOf(ctx).users.list()),
  create: adminProcedure.input(NewUser).mutation(async ({ ctx, input }) => {
    const user = await authOf(ctx).users.create(input);
    authOf(ctx).userCreated();
    return user;
  }),
  update: adminProcedure.input(UserUpdate).mutation(({ ctx, input: { id, ...change } }) => authOf(ctx).users.update(id, change)),
  resetPassword: adminProcedure.input(PasswordReset).mutation(({ ctx, input }) => authOf(ctx).users.resetPassword(input.id, input.password)),
});

export const apiKeyRouter = router({
  /** The caller's own keys; `all` (admins) lists everyone's. */
  list: procedure.input(z.object({ all: z.boolean().default(false) }).optional()).query(({ ctx, input }) => {
    if (input?.all) {
      if (!isAdmin(ctx.principal)) throw new TRPCError({ code: "FORBIDDEN", message: "Only admins list everyone's keys" });
      return authOf(ctx).keys.list(null);
    }
    if (ctx.principal?.kind === "local" || ctx.principal?.kind === "server") return [];
    return authOf(ctx).keys.list(personOf(ctx).id);
  }),
  /** The whole key is in this answer and nowhere else. */
  create: accountProcedure.input(NewApiKey).mutation(async ({ ctx, input }) => {
    const { key, row } = await authOf(ctx).keys.create(personOf(ctx), input);
    return { key, ...row };
  }),
  revoke: accountProcedure.input(Id).mutation(({ ctx, input }) =>
    authOf(ctx).keys.revoke(input.id, isAdmin(ctx.principal) ? null : personOf(ctx).id)),
});
