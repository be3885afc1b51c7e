import assert from "node:assert/strict";
import { test } from "node:test";
import { RunConfig } from "../../lib/run-config";
import { flatLayout } from "../../trainer/loop/parallel/layout";
import { splitRows, workerCount } from "../../trainer/loop/parallel/shards";

test("rows split into contiguous shards that differ by at most one, larger first, covering every row once", () => {
  assert.deepEqual(splitRows(5, 2), [{ start: 0, count: 3 }, { start: 3, count: 2 }]);
  assert.deepEqual(splitRows(7, 3).map((s) => s.count), [3, 2, 2]);
  assert.deepEqual(splitRows(2, 3), [{ start: 0, count: 1 }, { start: 1, count: 1 }, { start: 2, count: 0 }]);
  for (let rows = 1; rows <= 20; rows++)
    for (let n = 1; n <= 6; n++) {
      const shards = splitRows(rows, n);
      assert.equal(shards.length, n);
      shards.forEach((s, i) => assert.equal(s.start, i === 0 ? 0 : shards[i - 1].start + shards[i - 1].count));
      assert.equal(shards.reduce((a, s) => a + s.count, 0), rows);
      assert.ok(Math.max(...shards.map((s) => s.count)) - Math.min(...shards.map((s) => s.count)) <= 1);
    }
});

test("workers: 0 means one per core on wasm and cpu and none on native TensorFlow; never more than the batch", () => {
  assert.equal(workerCount(0, "wasm", 8, 2), 2);
  assert.equal(workerCount(0, "cpu", 8, 16), 8);
  assert.equal(workerCount(0, "tensorflow", 8, 16), 1);
  assert.equal(workerCount(3, "tensorflow", 8, 2), 3, "an explicit count is kept");
  assert.equal(workerCount(4, "wasm", 2, 8), 2);
  assert.equal(workerCount(1, "wasm", 8, 8), 1);
  assert.equal(RunConfig.parse({ name: "x" }).workers, 1);
  assert.match(RunConfig.safeParse({ name: "x", workers: 1.5 }).error!.issues[0].message, /whole number/);
  assert.match(RunConfig.safeParse({ name: "x", workers: -1 }).error!.issues[0].message, /At least 0/);
});

test("the flat layout puts parameters end to end in the order given", () => {
  const { slots, size } = flatLayout([["a", [2, 3]], ["b", [4]], ["c", []]]);
  assert.deepEqual(slots.map((s) => [s.offset, s.size]), [[0, 6], [6, 4], [10, 1]]);
  assert.equal(size, 11);
});
