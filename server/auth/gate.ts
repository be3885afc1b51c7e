import type http from "node:http";
import { safeNext } from "../../lib/auth";
import type { Auth } from "./index";
import type { Resolved } from "./principal";
import { MLFLOW_PATH } from "../../lib/mlflow/contracts";

// What any page needs to draw, the sign-in page's included: served to anyone, with no lookup.
const ASSET = /^\/_next\/static\/|^\/icon\.svg$|^\/favicon\.ico$/;
const LOGIN = /^\/login\/?$/;

function json(res: http.ServerResponse, status: number, message: string) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify({ error: { message } }));
}

/**
 * The checks every HTTP request passes before it reaches tRPC or a page. Returns the request's
 * principal, or null when it has already answered.
 */
export async function gate(auth: Auth, req: http.IncomingMessage, res: http.ServerResponse): Promise<Resolved | null> {
  const url = req.url ?? "/";
  if (!auth.hosts.hostAllowed(req.headers.host)) {
    res.writeHead(421, { "content-type": "text/plain" }).end(auth.hosts.refusedHostMessage(req.headers.host));
    return null;
  }
  // Next resolves dot segments ("/_next/static/../../alerts"), so decide on the path it will serve.
  let pathname: string;
  try {
    pathname = new URL(url, "http://local").pathname;
  } catch {
    res.writeHead(400, { "content-type": "text/plain" }).end("Malformed request path");
    return null;
  }
  if (ASSET.test(pathname)) return { principal: null };
  const isApi = url.startsWith("/api/") || pathname.startsWith("/api/") || pathname.startsWith("/ajax-api/");
  if (req.method !== "GET" && req.method !== "HEAD" && !auth.hosts.originAllowed(req.headers.origin, req.headers.host)) {
    json(res, 403, `Origin ${req.headers.origin} may not change anything here`);
    return null;
  }
  const who = await auth.resolve(req.headers);
  if (who.slid) res.setHeader("set-cookie", who.slid);
  // tRPC answers for itself: its public procedures (login, setup) work without credentials. The
  // MLflow API answers in MLflow's error shape, which its clients read.
  if (url.startsWith("/api/trpc/") || MLFLOW_PATH.test(pathname) || who.principal) return who;
  const mode = await auth.mode();
  if (/^\/setup\/?$/.test(pathname)) {
    if (mode !== "on") return who;
    res.writeHead(302, { location: "/login" }).end();
    return null;
  }
  if (LOGIN.test(pathname)) return who;
  if (isApi) {
    json(res, 401, who.problem ?? "Sign in, or send an API key as Authorization: Bearer <key>");
    return null;
  }
  const to = mode === "setup" ? "/setup" : `/login?next=${encodeURIComponent(safeNext(url))}`;
  res.writeHead(302, { location: to, "cache-control": "no-store" }).end();
  return null;
}
