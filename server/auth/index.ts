import type { IncomingHttpHeaders } from "node:http";
import { TRPCError } from "@trpc/server";
import type { Db } from "../db/db";
import type { Env } from "../env";
import { ApiKeyService } from "./api-keys";
import { clearedCookie, cookieValue, SESSION_COOKIE, sessionCookie } from "./cookies";
import { HostPolicy, isLoopbackBind } from "./hosts";
import { type Ended, LOCAL, type Resolved } from "./principal";
import { SessionService } from "./sessions";
import { memoryThrottle, type ThrottleStore } from "./throttle";
import { randomToken, sameSecret } from "./tokens";
import { UserService } from "./users";

/** local: loopback, no users, everyone is admin. setup: no users yet, only /setup answers. on: sign-in required. */
export type AuthMode = "local" | "setup" | "on";

/** A start that must not go ahead; server/index.ts prints the message and exits with the code. */
export class StartRefused extends Error {
  exitCode = 2;
}

export const SETUP_HELP = (host: string) => `Refusing to start: HOST=${host} is reachable from other machines, and no user exists to sign in with.
Set up authentication in one of two ways:
  1. Create the first admin from the environment:
       ADMIN_USER=admin ADMIN_PASSWORD='<at least 12 characters>' HOST=${host} npm start
  2. Or start with AUTH_SETUP=1: the one-time /setup page opens, guarded by a token printed in this log.
Or bind to loopback (HOST=127.0.0.1, the default) for local single-user mode without sign-in.`;

export type Auth = ReturnType<typeof createAuth>;

/** `throttle`: where failed sign-ins are counted (Redis when instances share it; memory by default). */
export function createAuth(db: Db, env: Env, throttle: ThrottleStore = memoryThrottle()) {
  const listeners = new Set<(e: Ended) => void>();
  const ended = (e: Ended) => listeners.forEach((l) => l(e));
  const sessions = new SessionService(db, env.SESSION_TTL_HOURS * 3600_000, ended);
  const users = new UserService(db, sessions, ended);
  const keys = new ApiKeyService(db, ended);
  const hosts = new HostPolicy({ bindHost: env.HOST, publicUrl: env.PUBLIC_URL, allowedHosts: env.ALLOWED_HOSTS });
  const loopback = isLoopbackBind(env.HOST);
  const secure = env.PUBLIC_URL?.startsWith("https:") ?? false;
  // Users are never deleted, so once one exists sign-in stays on; until then, count on each ask.
  let hasUsers = false;
  let setupToken: string | null = null;

  async function mode(): Promise<AuthMode> {
    if (!hasUsers) hasUsers = (await users.count()) > 0;
    if (hasUsers) return "on";
    return loopback ? "local" : "setup";
  }

  /** From a Cookie header, an Authorization header (Bearer key, or Basic with the key as password) or a socket's auth token. */
  async function resolve(headers: IncomingHttpHeaders, handshakeToken?: unknown): Promise<Resolved & { slid?: string }> {
    if ((await mode()) === "local") return { principal: LOCAL };
    const key = bearerOf(headers.authorization) ?? (typeof handshakeToken === "string" ? handshakeToken : null);
    if (key !== null) {
      const k = await keys.resolve(key);
      if (!k) return { principal: null, problem: "That API key is not valid, or was revoked" };
      return { principal: { kind: "key", ...k } };
    }
    const token = cookieValue(headers.cookie, SESSION_COOKIE);
    if (token) {
      const s = await sessions.resolve(token);
      if (s) return { principal: { kind: "session", user: s.user, sessionId: s.sessionId }, slid: s.slid ? sessionCookie(token, sessions.ttlSeconds, secure) : undefined };
      return { principal: null, problem: "Your sign-in has expired; sign in again" };
    }
    return { principal: null };
  }

  async function login(input: { login: string; password: string }, ip: string): Promise<{ cookie: string; user: { id: string; login: string; name: string; role: string } }> {
    const wait = await throttle.wait(input.login, ip);
    if (wait > 0) throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `Too many failed sign-ins; try again in ${Math.ceil(wait / 1000)} s` });
    const user = await users.verify(input.login, input.password);
    if (!user) {
      await throttle.failed(input.login, ip);
      throw new TRPCError({ code: "UNAUTHORIZED", message: "Wrong login name or password" });
    }
    if (user.disabled) throw new TRPCError({ code: "FORBIDDEN", message: "This account is disabled; ask an admin" });
    await throttle.succeeded(input.login);
    hasUsers = true;
    const token = await sessions.create(user.id);
    return { cookie: sessionCookie(token, sessions.ttlSeconds, secure), user: { id: user.id, login: user.login, name: user.name, role: user.role } };
  }

  async function logout(cookieHeader: string | undefined): Promise<string> {
    const token = cookieValue(cookieHeader, SESSION_COOKIE);
    if (token) await sessions.destroy(token);
    return clearedCookie(secure);
  }

  /** The first admin from /setup, signed in at once. Off loopback it needs the token from the log. */
  async function setup(input: { token?: string; login: string; name: string; password: string }, ip: string) {
    const m = await mode();
    if (m === "on") throw new TRPCError({ code: "FORBIDDEN", message: "Setup is done: a user exists. Sign in instead." });
    if (m === "setup" && !(setupToken && input.token && sameSecret(input.token, setupToken))) {
      throw new TRPCError({ code: "UNAUTHORIZED", message: "Wrong or missing setup token: copy it from the server's log" });
    }
    const user = await users.createFirstAdmin(input);
    if (!user) throw new TRPCError({ code: "FORBIDDEN", message: "Setup is done: a user exists. Sign in instead." });
    hasUsers = true;
    setupToken = null;
    return login({ login: input.login, password: input.password }, ip);
  }

  /** Creates the ADMIN_USER while no user exists, or refuses to start open to the network. */
  async function bootstrap(log: (line: string) => void) {
    await sessions.pruneExpired();
    if ((await users.count()) > 0) {
      hasUsers = true;
      if (env.ADMIN_USER) log(`ADMIN_USER ignored: users exist already (manage them on /users).`);
      return;
    }
    if (env.ADMIN_USER && env.ADMIN_PASSWORD) {
      await users.createFirstAdmin({ login: env.ADMIN_USER, name: env.ADMIN_USER, password: env.ADMIN_PASSWORD });
      hasUsers = true;
      log(`Created the admin ${env.ADMIN_USER} from ADMIN_USER; sign-in is on.`);
      return;
    }
    if (loopback) return;
    if (!env.AUTH_SETUP) throw new StartRefused(SETUP_HELP(env.HOST));
    setupToken = randomToken(18);
  }

  return {
    users, sessions, keys, hosts, mode, resolve, login, logout, setup, bootstrap,
    /** The one-time setup token while setup mode waits for its admin. */
    get setupToken() { return setupToken; },
    userCreated() { hasUsers = true; },
    /** Called when a session ends or a key or user is revoked, to drop what still holds it open. */
    onEnded(listener: (e: Ended) => void) { listeners.add(listener); },
  };
}

function bearerOf(header: string | undefined): string | null {
  if (!header) return null;
  const [scheme, value = ""] = header.trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme)) return value;
  if (/^basic$/i.test(scheme)) {
    // Basic user:key, as MLflow clients send it; the user part is not checked, the key says who it is.
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon < 0 ? decoded : decoded.slice(colon + 1);
  }
  return "";
}
