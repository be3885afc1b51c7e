import assert from "node:assert/strict";
import { test } from "node:test";
import { compareSortValues, DEFAULT_VIEW, matchesFilter, matchesText, parseFilter, viewFromQuery, viewToQuery } from "../../lib/run-filter";

const config = { optimizer: "lion", lr: 0.003, gradientCheckpointing: false, "anomaly.spikeZ": 12, dataset: "default" };

test("field op value filters compare numbers as numbers and text without case", () => {
  const f = (s: string) => matchesFilter(config, parseFilter(s)!);
  assert.ok(f("optimizer = lion") && f("optimizer = LION") && !f("optimizer = adamw") && f("optimizer != adamw"));
  assert.ok(f("lr > 1e-3") && !f("lr < 1e-3") && f("lr >= 0.003") && f("lr <= 3e-3") && !f("lr > 0.003"));
  assert.ok(f("anomaly.spikeZ >= 10") && !f("anomaly.spikeZ < 10"));
  assert.ok(f("gradientCheckpointing = false") && f("dataset ~ fau") && !f("dataset ~ ds-"));
  assert.ok(!f("nosuch = 1"), "a missing field never matches");
  assert.equal(parseFilter("no operator"), null);
  assert.deepEqual(parseFilter(" lr>=1e-4 "), { field: "lr", op: ">=", value: "1e-4" });
});

test("text search needs every word somewhere", () => {
  assert.ok(matchesText("baseline-lion cm123 lion 0.003", "lion base"));
  assert.ok(!matchesText("baseline-lion cm123", "adamw"));
  assert.ok(matchesText("anything", "  "));
});

test("sorting puts empty values last in both directions", () => {
  const values = [2, null, 10, 1];
  assert.deepEqual([...values].sort((a, b) => compareSortValues(a, b, false)), [1, 2, 10, null]);
  assert.deepEqual([...values].sort((a, b) => compareSortValues(a, b, true)), [10, 2, 1, null]);
  assert.deepEqual(["run-10", "run-9"].sort((a, b) => compareSortValues(a, b, false)), ["run-9", "run-10"]);
});

test("the view round-trips through the URL and defaults stay out of it", () => {
  assert.equal(viewToQuery(DEFAULT_VIEW), "");
  const view = {
    statuses: ["running", "completed"], text: "lion", filters: [parseFilter("lr > 1e-3")!, parseFilter("optimizer = lion")!],
    sort: "metric:val_loss", desc: false, columns: ["config:lr", "metric:val_loss"],
    labels: ["baseline", "seed 2"], project: "scaling", group: "label" as const, archived: true,
  };
  // Next hands repeated parameters over as arrays.
  const query = new URLSearchParams(viewToQuery(view));
  const params: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) params[key] = query.getAll(key).length > 1 ? query.getAll(key) : query.get(key)!;
  assert.deepEqual(viewFromQuery(params), view);
  assert.deepEqual(viewFromQuery({}), DEFAULT_VIEW);
});
