import assert from "node:assert/strict";
import { test } from "node:test";
import { diffConfigs, flattenConfig, rowLabel, visibleRows } from "../../lib/config-diff";
import { LABELS, RunConfig } from "../../lib/run-config";

const config = (over: Record<string, unknown>) => RunConfig.parse({ name: "x", ...over });

test("nested objects become dotted keys, benchmark lists are keyed by task", () => {
  const flat = flattenConfig({ lr: 0.001, anomaly: { spikeZ: 12, window: 100 }, evals: [{ task: "lambada", file: "synthetic" }, { task: "piqa", file: "/d/piqa.jsonl" }], faults: [] });
  assert.deepEqual(flat, {
    lr: 0.001, "anomaly.spikeZ": 12, "anomaly.window": 100, "evals.lambada": "synthetic", "evals.piqa": "/d/piqa.jsonl", faults: "none",
  });
  assert.deepEqual(flattenConfig({ faults: [{ kind: "crash", atStep: 5 }] }), { "faults.0.kind": "crash", "faults.0.atStep": 5 });
  assert.deepEqual(flattenConfig({ tags: ["a", "b"] }), { tags: "a, b" });
});

test("rows follow the label order and only disagreeing fields differ", () => {
  const rows = diffConfigs([config({ lr: 3e-3, optimizer: "adamw" }), config({ lr: 1e-3, optimizer: "lion", anomaly: { spikeZ: 9 } })], LABELS);
  const differing = rows.filter((r) => r.differs).map((r) => r.key);
  assert.deepEqual(differing, ["lr", "optimizer", "anomaly.spikeZ"]);
  assert.deepEqual(rows.find((r) => r.key === "lr")!.values, [3e-3, 1e-3]);
  assert.equal(rows.find((r) => r.key === "anomaly.spikeZ")!.label, "Anomaly thresholds › spikeZ");
  const keys = rows.map((r) => r.key);
  assert.ok(keys.indexOf("lr") < keys.indexOf("optimizer") && keys.indexOf("optimizer") < keys.indexOf("anomaly.window"));
  assert.ok(rows.length > 50, "every field of the config has a row");
});

test("a field only one run has differs and shows as missing for the other", () => {
  const rows = diffConfigs([
    config({ evals: [{ task: "lambada", file: "synthetic" }] }),
    config({ evals: [{ task: "hellaswag", file: "synthetic" }, { task: "lambada", file: "synthetic" }] }),
  ], LABELS);
  const row = (k: string) => rows.find((r) => r.key === k)!;
  assert.equal(row("evals.lambada").differs, false, "task order does not matter");
  assert.deepEqual(row("evals.hellaswag").values, [null, "synthetic"]);
  assert.equal(row("evals.hellaswag").differs, true);
});

test("hide identical keeps only differing rows; one config differs nowhere", () => {
  const rows = diffConfigs([config({ name: "a", seed: 1 }), config({ name: "b", seed: 2 }), config({ name: "a", seed: 1 })], LABELS);
  assert.deepEqual(visibleRows(rows, true).map((r) => r.key), ["name", "seed"]);
  assert.equal(visibleRows(rows, false).length, rows.length);
  assert.equal(diffConfigs([config({})], LABELS).filter((r) => r.differs).length, 0);
  assert.deepEqual(diffConfigs([]), []);
});

test("labels fall back to the key", () => {
  assert.equal(rowLabel("lr", LABELS), "Learning rate");
  assert.equal(rowLabel("mystery.deep", LABELS), "mystery › deep");
});
