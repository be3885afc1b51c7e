import assert from "node:assert/strict";
import { test } from "node:test";
import { heartbeatFor, WORKER_HEARTBEAT_MS } from "../../lib/worker-protocol";

test("a worker's heartbeat fits four times into its lease, at most every 2 s and at least every 250 ms", () => {
  assert.equal(heartbeatFor(30_000), WORKER_HEARTBEAT_MS);
  assert.equal(heartbeatFor(8_000), 2000);
  assert.equal(heartbeatFor(3_000), 750);
  assert.equal(heartbeatFor(1_000), 250);
  for (const ttl of [1000, 1500, 2000, 3000, 5000, 7999, 8000, 60_000, 3_600_000]) assert.ok(ttl / heartbeatFor(ttl) >= 4, `lease ${ttl} ms`);
});
