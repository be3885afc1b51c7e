import assert from "node:assert/strict";
import { after, test } from "node:test";
import { RedisThrottle } from "../../server/auth/throttle-redis";
import { openRedis } from "../../server/redis";
import { cleanRedis, REDIS_URL, RedisRelay, redisMissing, redisPrefix } from "../helpers/cluster";

const skip = await redisMissing();
const prefix = redisPrefix("throttle");
const clients: { disconnect(): void }[] = [];
/** A throttle as one instance holds it: its own connection, on the shared Redis. */
const instance = (url = REDIS_URL) => {
  const redis = openRedis(url, "login throttle", { queueWhileDown: false, connectionName: `${prefix}:test` });
  clients.push(redis);
  return new RedisThrottle(redis, prefix);
};
const ready = (t: RedisThrottle) => (t as unknown as { redis: { status: string } }).redis;

after(async () => {
  for (const c of clients) c.disconnect();
  if (!skip) await cleanRedis(prefix);
});

test("failed sign-ins on one instance throttle the same login on another, and a success clears it", { skip }, async () => {
  const [a, b] = [instance(), instance()];
  for (const t of [a, b]) while (ready(t).status !== "ready") await new Promise((r) => setTimeout(r, 20));
  for (let i = 0; i < 5; i++) {
    assert.equal(await b.wait("alice", "10.0.0.1"), 0, `failure ${i + 1} is still free`);
    await a.failed("alice", "10.0.0.1");
  }
  const wait = await b.wait("alice", "10.0.0.2");
  assert.ok(wait > 25_000 && wait <= 30_000, `the other instance makes alice wait ~30 s (${wait} ms)`);
  assert.equal(await b.wait("bob", "10.0.0.3"), 0, "another login is not held up");
  await b.succeeded("alice");
  assert.equal(await a.wait("alice", "10.0.0.4"), 0, "a success on either instance clears it on both");
});

test("with Redis away the throttle counts in memory and never lets the sixth guess through", { skip }, async () => {
  const relay = new RedisRelay(await RedisRelay.freePort());
  const t = instance(relay.url);
  for (let i = 0; i < 5; i++) await t.failed("carol", "10.0.0.9");
  assert.ok((await t.wait("carol", "10.0.0.9")) > 25_000);
  await relay.down();
});
