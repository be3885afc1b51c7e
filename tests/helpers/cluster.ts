import crypto from "node:crypto";
import net from "node:net";
import { Redis } from "ioredis";
import { startServer, type TestServer } from "./server";

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * Whether Redis answers. Under CI=true a missing Redis fails the test (it must never pass by
 * skipping); elsewhere the reason to skip is returned.
 */
export async function redisMissing(): Promise<string | false> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
    return false;
  } catch (e) {
    const why = `Redis is not reachable at ${REDIS_URL} (${(e as Error).message}); start it, or set TEST_REDIS_URL`;
    if (process.env.CI === "true") throw new Error(why);
    console.log(`# scale-out tests not run: ${why}`);
    return why;
  } finally {
    client.disconnect();
  }
}

/** A Redis prefix of its own per test file, so tests sharing one Redis never see each other's events. */
export function redisPrefix(label: string) {
  return `test-${label}-${crypto.randomBytes(4).toString("hex")}`;
}

/** Deletes every key under the prefix (the live-event stream, throttle tallies). */
export async function cleanRedis(prefix: string) {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
}

/** Closes every Redis connection the instances under `prefix` hold (they name them so): a blip. */
export async function killRedisClients(prefix: string): Promise<number> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const list = (await client.client("LIST")) as string;
    const ids = list.split("\n").filter((l) => l.includes(` name=${prefix}:`)).map((l) => l.match(/\bid=(\d+)/)![1]);
    for (const id of ids) await client.client("KILL", "ID", id);
    return ids.length;
  } finally {
    client.disconnect();
  }
}

/**
 * The environment that makes servers instances of one cluster: one database and one Redis.
 * The database is the shared SQLite file under DATA_DIR; for PostgreSQL, add its DATABASE_URL
 * here (one line), and every test of the cluster runs on it.
 */
export function clusterEnv(dataDir: string, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    // Short leases, so a takeover happens within seconds of a kill.
    LEASE_TTL_MS: "3000",
    LEASE_RENEW_MS: "500",
    ...extra,
  };
}

/** Starts instances one after the other (each applies the migrations at boot, which must not race). */
export async function startInstances(count: number, env: Record<string, string>, label = "i"): Promise<TestServer[]> {
  const servers: TestServer[] = [];
  for (let i = 0; i < count; i++) servers.push(await startServer(env.DATA_DIR, { ...env, INSTANCE_ID: `${label}${String.fromCharCode(65 + i)}-${process.pid}` }));
  return servers;
}

/**
 * A TCP relay in front of Redis that a test can cut and restore: Redis "goes down" for the
 * instances behind it while the shared Redis keeps serving everyone else.
 */
export class RedisRelay {
  private server: net.Server | null = null;
  private sockets = new Set<net.Socket>();
  constructor(readonly port: number) {}

  static async freePort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    return port;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up() {
    const target = new URL(REDIS_URL);
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(this.port, "127.0.0.1", r));
  }

  async down() {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((r) => server.close(r));
  }
}
