import http from "node:http";
import type { AddressInfo } from "node:net";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import next from "next";
import { Server } from "socket.io";
import { WORKERS_PREFIX } from "../lib/worker-protocol";
import { createAuth, StartRefused } from "./auth";
import { gate } from "./auth/gate";
import { endedFor, refusal, SERVER, type Resolved } from "./auth/principal";
import { RedisThrottle } from "./auth/throttle-redis";
import { migrate, openDb } from "./db/db";
import type { Env } from "./env";
import { createDownloads, DOWNLOAD_PREFIX } from "./http/downloads-api";
import { createMlflowApi, MLFLOW_PATH } from "./http/mlflow-api";
import { createRunExportApi, RUN_EXPORT_PREFIX } from "./http/run-export-api";
import { createUploadHandler, UPLOAD_PREFIX } from "./http/upload";
import { createWorkerApi } from "./http/worker-api";
import { liveAdapter } from "./live-adapter";
import { openRedis } from "./redis";
import { createServices } from "./services";
import { newInstanceId } from "./services/cluster/instances";
import { attachSockets } from "./socket";
import { logError } from "./trpc/errors";
import { appRouter, createCaller } from "./trpc/router";

/** Boots everything on one HTTP server; returns a function that shuts it down gracefully. */
export async function startServer(env: Env) {
  await migrate(env);
  const db = openDb(env);
  // Readers no longer wait for the metric writer's transactions (PostgreSQL has no such pragma).
  if (env.dbProvider === "sqlite") await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  // REDIS_URL: one of several instances behind one address (docs/scale-out.md).
  env = { ...env, INSTANCE_ID: env.INSTANCE_ID ?? newInstanceId() };
  const redis = env.REDIS_URL ? connectRedis(env.REDIS_URL, env.REDIS_PREFIX, env.INSTANCE_ID!) : null;
  const auth = createAuth(db, env, redis ? new RedisThrottle(redis.commands, env.REDIS_PREFIX) : undefined);
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
    ...(redis ? { adapter: liveAdapter(redis.live, env.REDIS_PREFIX) } : {}),
    allowRequest: (req, fn) => {
      if (!auth.hosts.hostAllowed(req.headers.host)) return fn(auth.hosts.refusedHostMessage(req.headers.host), false);
      if (!auth.hosts.originAllowed(req.headers.origin, req.headers.host)) return fn(`Origin ${req.headers.origin} is not allowed`, false);
      fn(null, true);
    },
  });
  let url = "";
  const services = createServices(db, env, io, () => url);
  const { cluster } = services;
  if (cluster) console.log(`cluster: instance ${cluster.instanceId}; runs are owned through leases (TTL ${env.LEASE_TTL_MS} ms, renewed every ${env.LEASE_RENEW_MS} ms)`);
  await cluster?.join().catch(async (e: Error) => {
    await db.$disconnect();
    throw new StartRefused(`Refusing to start: ${e.message}`);
  });
  // Leases claimed at boot are renewed from here on; expired ones are taken once boot has adopted its own.
  cluster?.start();
  await services.runs.markOrphans();
  await services.outsideRuns.resumeWatching();
  cluster?.enableTakeovers();
  // A peer may be preparing a dataset right now; with none alive, whatever is preparing was orphaned.
  if (!cluster || !(await cluster.peersAlive())) await services.datasets.markOrphans();
  services.tensorboard.resume();
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
  const workerApi = createWorkerApi(services);
  const runExport = createRunExportApi(services);
  const mlflowApi = createMlflowApi(services);
  const downloads = createDownloads(services);
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
      if (req.url?.startsWith(WORKERS_PREFIX)) return void workerApi(req, res, who);
      if (MLFLOW_PATH.test(req.url?.split("?")[0] ?? "")) return void mlflowApi(req, res, who);
      if (req.url?.startsWith(DOWNLOAD_PREFIX)) return void downloads(req, res, who);
      if (req.url?.startsWith(UPLOAD_PREFIX)) {
        const refused = refusal(who, "write");
        if (refused) return void res.writeHead(refused.code === "UNAUTHORIZED" ? 401 : 403, { "content-type": "application/json" }).end(JSON.stringify({ error: refused.message }));
        return void upload(req, res);
      }
      if (req.url?.startsWith(RUN_EXPORT_PREFIX)) {
        const refused = refusal(who, "read");
        if (refused) return void res.writeHead(refused.code === "UNAUTHORIZED" ? 401 : 403, { "content-type": "application/json" }).end(JSON.stringify({ error: refused.message }));
        if (runExport(req, res)) return;
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
  await cluster?.listening(env.INSTANCE_URL?.replace(/\/+$/, "") ?? url);
  if (auth.setupToken) console.log(`No user yet: open ${env.PUBLIC_URL ?? url}/setup?token=${auth.setupToken} to create the first admin (one-time token: ${auth.setupToken})`);

  return {
    url,
    async close() {
      // With a peer alive, the trainers go on under it; the last instance out stops them.
      const handOver = (await cluster?.peersAlive().catch(() => false)) ?? false;
      await services.datasets.cancelAll();
      await services.tensorboard.close();
      services.cliJobs.killAll();
      // Remote trainers go on: their workers reach this server again, or another instance, within the worker lease.
      if (!handOver) await services.supervisor.stopAll();
      services.supervisor.remote?.close();
      await cluster?.close(handOver);
      await services.writer.close();
      await services.metricReader.close();
      services.watch.close();
      services.stats.close();
      await services.webhooks.close();
      io.close();
      await ui.close?.();
      for (const client of redis ? [redis.live, redis.commands] : []) {
        client.removeAllListeners("close"); // closing it ourselves is no loss to report
        client.disconnect();
      }
      await db.$disconnect();
    },
  };
}

/**
 * Two connections: one for the live-event stream, whose commands wait out a Redis blip (the
 * adapter duplicates it for its blocking reads), and one for quick commands that fall back to
 * memory while Redis is away.
 */
function connectRedis(url: string, prefix: string, instanceId: string) {
  const name = `${prefix}:${instanceId}`.replace(/[^A-Za-z0-9:_.-]/g, "_");
  return {
    live: openRedis(url, "live events", { queueWhileDown: true, connectionName: `${name}:live` }),
    commands: openRedis(url, "login throttle", { queueWhileDown: false, connectionName: `${name}:commands` }),
  };
}
