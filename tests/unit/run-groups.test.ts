import assert from "node:assert/strict";
import { test } from "node:test";
import { spanOfPoint } from "../../lib/downsample";
import { groupRuns, meanSeries } from "../../lib/run-groups";

const run = (id: string, seed: number, extra: Record<string, unknown> = {}, labels: string[] = [], project: string | null = null) =>
  ({ id, name: `lr3e-3-s${seed}`, project, labels, config: { name: `lr3e-3-s${seed}`, seed, lr: 3e-3, ...extra } });

test("grouping by seed folds repeats that differ only in seed and name; project and labels group as named", () => {
  const runs = [run("a", 1), run("b", 2), run("c", 3, { lr: 1e-3 }), run("d", 4)];
  const groups = groupRuns(runs, "seed");
  assert.deepEqual(groups.map((g) => g.runs.map((r) => r.id)), [["a", "b", "d"], ["c"]]);
  assert.equal(groups[0].label, "lr3e-3-s1 ×3");
  assert.deepEqual(groupRuns(runs, "none").map((g) => g.runs.length), [1, 1, 1, 1]);
  const filed = [run("a", 1, {}, ["x", "y"], "p"), run("b", 2, {}, ["y", "x"], null)];
  assert.deepEqual(groupRuns(filed, "labels").map((g) => g.label), ["x, y"]);
  assert.deepEqual(groupRuns(filed, "project").map((g) => g.label), ["p", "(no project)"]);
});

test("the mean series interpolates each run at the densest run's steps, bands min–max, skips runs outside their range, and keeps NaN", () => {
  const pts = (xs: [number, number | null][]) => xs.map(([step, value]) => spanOfPoint({ step, value, wallTime: 1000 + step }));
  const a = pts([[0, 4], [1, 3], [2, 2], [3, 1]]);
  const b = pts([[0, 6], [2, 4]]);
  const c = pts([[2, 0], [3, null]]);
  const m = meanSeries([a, b, c]);
  assert.deepEqual(m.map((p) => p.step), [0, 1, 2, 3]);
  assert.equal(m[0].last, 5);
  assert.equal(m[0].count, 2);
  assert.equal(m[1].last, (3 + 5) / 2, "b interpolated at step 1");
  assert.deepEqual([m[2].last, m[2].min, m[2].max, m[2].count], [2, 0, 4, 3]);
  assert.equal(m[3].nan, true, "c's NaN at step 3 shows");
  assert.equal(m[3].last, 1, "the mean of the finite values");
  assert.deepEqual(meanSeries([[], []]), []);
});
