import { Redis, type RedisOptions } from "ioredis";

/** The URL as it may be logged: without its password. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable REDIS_URL)";
  }
}

/**
 * A Redis connection that never brings the server down: ioredis reconnects on its own (backing
 * off to 5 s), and each change of state is logged once, not at every failed retry.
 *
 * `queueWhileDown`: commands wait for the connection (the adapter's stream reads and writes, so a
 * blip delays live events instead of losing them); otherwise they fail at once while Redis is
 * away, for callers that have a fallback (the login throttle).
 */
export function openRedis(url: string, role: string, opts: { queueWhileDown: boolean; connectionName: string }): Redis {
  const where = redactRedisUrl(url);
  const options: RedisOptions = {
    connectionName: opts.connectionName,
    retryStrategy: (times) => Math.min(200 * times, 5000),
    ...(opts.queueWhileDown ? { maxRetriesPerRequest: null, enableOfflineQueue: true } : { maxRetriesPerRequest: 0, enableOfflineQueue: false }),
  };
  const client = new Redis(url, options);
  let state: "connecting" | "up" | "down" = "connecting";
  const effect = role === "live events"
    ? "live events reach only this instance's browsers until it is back (then the others get what they missed)"
    : "this instance counts on its own until Redis is back";
  client.on("ready", () => {
    console.log(state === "down" ? `redis (${role}): reconnected to ${where}` : `redis (${role}): connected to ${where}`);
    state = "up";
  });
  // A connection closed by Redis (a restart, CLIENT KILL) closes without an error.
  client.on("close", () => {
    if (state !== "up") return;
    state = "down";
    console.error(`redis (${role}): lost the connection to ${where}; reconnecting; ${effect}`);
  });
  client.on("error", (e: Error & { code?: string }) => {
    if (state === "down") return;
    const was = state;
    state = "down";
    console.error(`redis (${role}): ${was === "connecting" ? "cannot reach" : "lost"} ${where} (${e.code ?? e.message}); retrying; ${effect}`);
  });
  return client;
}
