import http from "node:http";
import type { AddressInfo } from "node:net";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import next from "next";
import { Server } from "socket.io";
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
  // socket.io wraps the listeners present when it attaches, so ours must be installed first.
  let onRequest: http.RequestListener = (_req, res) => res.writeHead(503).end("starting");
  const httpServer = http.createServer((req, res) => onRequest(req, res));
  const io = new Server(httpServer, { maxHttpBufferSize: 4e6 });
  let url = "";
  const services = createServices(db, env, io, () => url);
  await services.runs.markOrphans();
  await services.datasets.markOrphans();
  attachSockets(io, services);

  const trpc = createHTTPHandler({ router: appRouter, basePath: "/api/trpc/", createContext: () => ({ services }), onError: logError });
  const upload = createUploadHandler({ dataDir: env.dataDir, maxBytes: env.UPLOAD_MAX_MB * 1e6 });
  // Server components reach the same services through this caller instead of bundling Prisma.
  (globalThis as Record<string, unknown>).__appCaller = createCaller({ services });
  const ui = next({ dev: env.NODE_ENV === "development", dir: process.cwd(), hostname: env.HOST, port: env.PORT });
  await ui.prepare();
  const handle = ui.getRequestHandler();
  onRequest = (req, res) => {
    if (req.url?.startsWith("/api/trpc/")) return void trpc(req, res);
    if (req.url?.startsWith(UPLOAD_PREFIX)) return void upload(req, res);
    void handle(req, res);
  };

  await new Promise<void>((resolve) => httpServer.listen(env.PORT, env.HOST, resolve));
  const { port } = httpServer.address() as AddressInfo;
  url = `http://${env.HOST.includes(":") ? `[${env.HOST}]` : env.HOST}:${port}`;

  return {
    url,
    async close() {
      await services.datasets.cancelAll();
      services.cliJobs.killAll();
      await services.supervisor.stopAll();
      await services.writer.close();
      services.watch.close();
      await services.webhooks.close();
      io.close();
      await ui.close?.();
      await db.$disconnect();
    },
  };
}
