import assert from "node:assert/strict";
import { test } from "node:test";
import { MetricPoint } from "../../lib/protocol";
import { LAYER_STATS, layerKey, parseLayerKey, rowOrder, type LayerRow } from "../../lib/layer-stats";

test("per-layer keys round-trip, pass the metric key rule, and sort embeddings, blocks, heads, final norm", () => {
  const rows: LayerRow[] = ["emb", { block: 0 }, { block: 0, head: 0 }, { block: 0, head: 11 }, { block: 1 }, { block: 47 }, "lnf"];
  for (const stat of LAYER_STATS)
    for (const row of rows) {
      const key = layerKey(stat, row);
      assert.ok(MetricPoint.safeParse({ step: 0, key, value: 1, wallTime: 1 }).success, key);
      assert.deepEqual(parseLayerKey(key), { stat, row });
    }
  const sorted = [...rows].sort(() => 0.5 - Math.random()).sort((a, b) => rowOrder(a) - rowOrder(b));
  assert.deepEqual(sorted, rows);
  for (const bad of ["loss", "layers/grad_norm/3", "layers/nope/03", "layers/grad_norm/03.h1", "layers/grad_norm/03/h01", "logits/max"]) assert.equal(parseLayerKey(bad), null, bad);
});
