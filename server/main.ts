import http from "node:http";
import type { AddressInfo } from "node:net";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import next from "next";
import { Server } from "socket.io";
import { createAuth } from "./auth";
import { gate } from "./auth/gate";
import { endedFor, refusal, SERVER, type Resolved } from "./auth/principal";
import { migrate, openDb } from "./db";
import type { Env } from "./env";
import { createServices } from "./services";
import { attachSockets } from "./socket";
import { logError } from "./trpc/errors";
import { createUploadHandler, UPLOAD_PREFIX } from "./upload";
import { appRouter, createCaller } from "./trpc/router";

/** Boots everything on one HTTP server; returns a function that shuts it down gracefully. */
export async function startServer(env: Env) {
  await migrate(env);
  const db = openDb(env);
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  const auth = createAuth(db, env);
  await auth.bootstrap((line) => console.log(line)).catch(async (e) => {
    await db.$disconnect();
    throw e;
  });
  // socket.io wraps the listeners present when it attaches, so ours must be installed first.
  let onRequest: http.RequestListener = (_req, res) => res.writeHead(503).end("starting");
  const httpServer = http.createServer((req, res) => onRequest(req, res));
  // The handshake of every namespace, the trainers' included, passes the Host and Origin allow-list.
  const io = new Server(httpServer, {
    maxHttpBufferSize: 4e6,
    allowRequest: (req, fn) => {
      if (!auth.hosts.hostAllowed(req.headers.host)) return fn(auth.hosts.refusedHostMessage(req.headers.host), false);
      if (!auth.hosts.originAllowed(req.headers.origin, req.headers.host)) return fn(`Origin ${req.headers.origin} is not allowed`, false);
      fn(null, true);
    },
  });
  let url = "";
  const services = createServices(db, env, io, () => url);
  await services.runs.markOrphans();
  await services.datasets.markOrphans();
  attachSockets(io, services, async (socket) => {
    const who = await auth.resolve(socket.handshake.headers, (socket.handshake.auth as { token?: unknown } | undefined)?.token);
    socket.data.principal = who.principal;
    return refusal(who, "read")?.message ?? null;
  });
  auth.onEnded((e) => {
    for (const socket of io.of("/").sockets.values()) if (endedFor(socket.data.principal, e)) socket.disconnect(true);
  });

  const resolved = new WeakMap<http.IncomingMessage, Resolved>();
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/api/trpc/",
    onError: logError,
    createContext: ({ req, res }) => ({
      services, auth, ...(resolved.get(req) ?? { principal: null }),
      ip: req.socket.remoteAddress ?? "",
      cookieHeader: req.headers.cookie,
      setCookie: (cookie: string) => res.appendHeader("set-cookie", cookie),
    }),
  });
  // Server components reach the same services through this caller instead of bundling Prisma. The
  // HTTP gate has let only signed-in requests through to them; what they render is read-only.
  (globalThis as Record<string, unknown>).__appCaller = createCaller({ services, auth, principal: SERVER });
  const upload = createUploadHandler({ dataDir: env.dataDir, maxBytes: env.UPLOAD_MAX_MB * 1e6 });
  const ui = next({ dev: env.NODE_ENV === "development", dir: process.cwd(), hostname: env.HOST, port: env.PORT });
  await ui.prepare();
  const handle = ui.getRequestHandler();
  onRequest = (req, res) => {
    gate(auth, req, res).then((who) => {
      if (!who) return;
      if (req.url?.startsWith("/api/trpc/")) {
        resolved.set(req, who);
        return void trpc(req, res);
      }
      if (req.url?.startsWith(UPLOAD_PREFIX)) {
        const refused = refusal(who, "write");
        if (refused) return void res.writeHead(refused.code === "UNAUTHORIZED" ? 401 : 403, { "content-type": "application/json" }).end(JSON.stringify({ error: refused.message }));
        return void upload(req, res);
      }
      void handle(req, res);
    }, (e) => {
      console.error("request gate failed:", e);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" }).end("Internal error");
    });
  };

  await new Promise<void>((resolve) => httpServer.listen(env.PORT, env.HOST, resolve));
  const { port } = httpServer.address() as AddressInfo;
  // Trainers dial this; a wildcard bind is reached on loopback, which the Host allow-list serves.
  const dial = env.HOST === "0.0.0.0" ? "127.0.0.1" : env.HOST === "::" ? "::1" : env.HOST;
  url = `http://${dial.includes(":") ? `[${dial}]` : dial}:${port}`;
  if (auth.setupToken) console.log(`No user yet: open ${env.PUBLIC_URL ?? url}/setup?token=${auth.setupToken} to create the first admin (one-time token: ${auth.setupToken})`);

  return {
    url,
    async close() {
      await services.datasets.cancelAll();
      services.cliJobs.killAll();
      await services.supervisor.stopAll();
      await services.writer.close();
      await services.metricReader.close();
      services.watch.close();
      services.stats.close();
      await services.webhooks.close();
      io.close();
      await ui.close?.();
      await db.$disconnect();
    },
  };
}
