import http from "node:http";
import { io, type Socket } from "socket.io-client";

export const ADMIN = { login: "admin", password: "a-long-test-passphrase-42" };
/** Starts a server with sign-in on: the first admin comes from the environment. */
export const ADMIN_ENV = { ADMIN_USER: ADMIN.login, ADMIN_PASSWORD: ADMIN.password };

export interface Answer { status: number; body: any; headers: Record<string, string> }

/**
 * One tRPC call over plain HTTP, unbatched: a GET for a query, a POST for a mutation. Raw so that
 * a test sees the status code and exactly what came back.
 */
export async function call(url: string, path: string, type: "query" | "mutation", input?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const q = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = type === "query"
    ? await fetch(`${url}/api/trpc/${path}${q}`, { headers, redirect: "manual" })
    : await fetch(`${url}/api/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(input ?? null), redirect: "manual" });
  const text = await res.text();
  let body: any = text;
  try { body = JSON.parse(text); } catch { /* a non-JSON answer is kept as text */ }
  return { status: res.status, body, headers: Object.fromEntries(res.headers) };
}

/** Signs in through auth.login; returns the Cookie header that carries the session. */
export async function signIn(url: string, login: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/trpc/auth.login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ login, password }) });
  const set = res.headers.getSetCookie().find((c) => c.startsWith("pretrain_session="));
  if (res.status !== 200 || !set) throw new Error(`sign-in as ${login} failed: ${res.status} ${await res.text()}`);
  return set.split(";")[0];
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
export const basic = (key: string, user = "anyone") => ({ authorization: `Basic ${Buffer.from(`${user}:${key}`).toString("base64")}` });

/** A socket on the browser namespace: resolves once connected, rejects with the handshake's refusal. */
export function socketWith(url: string, opts: { headers?: Record<string, string>; token?: string; namespace?: string } = {}): Promise<Socket> {
  const socket = io(`${url}${opts.namespace ?? ""}`, { transports: ["websocket"], extraHeaders: opts.headers, auth: opts.token ? { token: opts.token } : undefined, reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (e) => { socket.close(); reject(e); });
  });
}

/** A raw request with any Host header (fetch will not send a foreign one). */
export function rawGet(url: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method: "GET", headers }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
