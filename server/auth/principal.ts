import { TRPCError } from "@trpc/server";
import { ROLE_SCOPES, type Role, type Scope } from "../../lib/auth";

export interface UserInfo { id: string; login: string; name: string; role: Role }

/** Who is asking. */
export type Principal =
  /** Loopback with no users: the implicit local admin. */
  | { kind: "local" }
  | { kind: "session"; user: UserInfo; sessionId: string }
  | { kind: "key"; user: UserInfo; keyId: string; scopes: Scope[] }
  /** Server components, behind the HTTP gate: they read and never change anything. */
  | { kind: "server" };

export const LOCAL: Principal = { kind: "local" };
export const SERVER: Principal = { kind: "server" };

/** A request's principal, or why it has none. */
export interface Resolved { principal: Principal | null; problem?: string }

const NEED_WHAT: Record<Scope, string> = { read: "read", write: "change anything", admin: "manage users, keys and global webhooks" };

/** Null when the principal may do what needs `scope`, else the refusal as an error. */
export function refusal(who: Resolved, scope: Scope): TRPCError | null {
  const p = who.principal;
  if (!p) return new TRPCError({ code: "UNAUTHORIZED", message: who.problem ?? "Sign in, or send an API key as Authorization: Bearer <key>" });
  if (p.kind === "local") return null;
  if (p.kind === "server") return scope === "read" ? null : new TRPCError({ code: "FORBIDDEN", message: "Pages render read-only" });
  if (!ROLE_SCOPES[p.user.role].includes(scope)) {
    return new TRPCError({ code: "FORBIDDEN", message: `Your role (${p.user.role}) cannot ${NEED_WHAT[scope]}; ask an admin` });
  }
  if (p.kind === "key" && !p.scopes.includes(scope)) {
    return new TRPCError({ code: "FORBIDDEN", message: `This API key lacks the ${scope} scope` });
  }
  return null;
}

/** A credential that stopped working: live sockets that signed in with it are dropped. */
export type Ended = { sessionId: string } | { keyId: string } | { userId: string; only?: "session" };

export function endedFor(p: Principal | null | undefined, e: Ended): boolean {
  if (!p || (p.kind !== "session" && p.kind !== "key")) return false;
  if ("sessionId" in e) return p.kind === "session" && p.sessionId === e.sessionId;
  if ("keyId" in e) return p.kind === "key" && p.keyId === e.keyId;
  return p.user.id === e.userId && (!e.only || p.kind === e.only);
}
