import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../lib/rng";

test("same seed, same sequence; different seed, different sequence", () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 100 }, () => a.next());
  assert.deepEqual(Array.from({ length: 100 }, () => b.next()), sa);
  assert.notDeepEqual(Array.from({ length: 100 }, () => c.next()), sa);
  assert.ok(sa.every((x) => x >= 0 && x < 1));
});

test("state round trip continues the sequence exactly", () => {
  const a = new Rng(7);
  for (let i = 0; i < 13; i++) a.normal();
  const saved = a.getState();
  assert.equal(saved.length, 4);
  const expected = [a.next(), a.normal(), a.int(1000)];
  const b = new Rng(0);
  b.setState(saved);
  assert.deepEqual([b.next(), b.normal(), b.int(1000)], expected);
  assert.throws(() => b.setState([1, 2, 3]), /four uint32/);
});

test("normal() has mean ~0 and variance ~1; int(n) stays in range", () => {
  const r = new Rng(1);
  const xs = Array.from({ length: 20000 }, () => r.normal());
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  const ints = Array.from({ length: 1000 }, () => r.int(5));
  assert.ok(ints.every((i) => Number.isInteger(i) && i >= 0 && i < 5));
  assert.equal(new Set(ints).size, 5);
});
