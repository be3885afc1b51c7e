import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_COMPARED_RUNS, preferredSlot, RUN_PALETTE, runColor, runColors } from "../../lib/run-colors";

const ids = (n: number, prefix = "cm") => Array.from({ length: n }, (_, i) => `${prefix}${i.toString(36)}x${(i * 7919).toString(36)}`);

test("the palette has 20 distinct colours", () => {
  assert.equal(MAX_COMPARED_RUNS, 20);
  assert.equal(new Set(RUN_PALETTE.map((c) => c.toLowerCase())).size, 20);
});

test("a run's colour depends on its id alone", () => {
  assert.equal(runColor("clx1abc"), runColor("clx1abc"));
  // Known values pin the hash, so a change to it (which would recolour every run) is noticed.
  assert.equal(preferredSlot(""), 0x811c9dc5 % 20);
  const spread = new Set(ids(200).map(preferredSlot));
  assert.ok(spread.size >= 18, `ids spread over ${spread.size} of 20 colours`);
});

test("any 20 runs get 20 distinct colours", () => {
  for (const prefix of ["a", "run-", "clz"]) {
    const colors = runColors(ids(20, prefix));
    assert.equal(colors.size, 20);
    assert.equal(new Set(colors.values()).size, 20);
  }
});

test("a run keeps its preferred colour in any selection where it does not collide", () => {
  const [a, ...others] = ids(40);
  const clashFree = others.filter((id) => preferredSlot(id) !== preferredSlot(a)).slice(0, 5);
  assert.equal(runColors([a]).get(a), runColor(a));
  assert.equal(runColors([...clashFree, a]).get(a), runColor(a));
  assert.equal(runColors([a, ...clashFree].reverse()).get(a), runColor(a));
});

test("on a collision the run chosen first keeps the colour and the later one moves to the next free slot", () => {
  const pool = ids(200);
  const a = pool[0];
  const b = pool.find((id) => id !== a && preferredSlot(id) === preferredSlot(a))!;
  assert.ok(b, "the pool has two ids that share a slot");
  const ab = runColors([a, b]);
  assert.equal(ab.get(a), runColor(a));
  assert.equal(ab.get(b), RUN_PALETTE[(preferredSlot(a) + 1) % 20]);
  const ba = runColors([b, a]);
  assert.equal(ba.get(b), runColor(b));
  assert.notEqual(ba.get(a), ba.get(b));
});

test("the same selection gets the same colours every time, and duplicates count once", () => {
  const sel = ids(12);
  assert.deepEqual([...runColors(sel)], [...runColors([...sel])]);
  assert.equal(runColors([sel[0], sel[0], sel[1]]).size, 2);
});
