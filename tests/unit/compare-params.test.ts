import assert from "node:assert/strict";
import { test } from "node:test";
import { compareHref, isLogScale, parseCompareParams } from "../../app/components/compare/compare-params";

test("the compare URL carries the selection and every chart setting", () => {
  const settings = { runs: ["a", "b"], metrics: ["loss", "lr"], log: ["lr"], smooth: 0.9, smoothBy: "steps" as const, x: "tokens" as const, range: [1000, 2500] as [number, number], collapsed: [], hideIdentical: false, group: "seed" as const };
  const href = compareHref(settings);
  assert.equal(href, "/compare?runs=a,b&metrics=loss,lr&log=lr&smooth=0.9&smoothing=steps&x=tokens&range=1000-2500&identical=show&group=seed");
  const { params, dropped } = parseCompareParams(new URL(href, "http://x").searchParams);
  assert.deepEqual(params, settings);
  assert.deepEqual(dropped, []);
});

test("defaults stay out of the link and come back when read", () => {
  assert.equal(compareHref({ runs: ["a"] }), "/compare?runs=a");
  const { params } = parseCompareParams({ runs: "a" });
  assert.deepEqual(params, { runs: ["a"], metrics: null, log: null, smooth: 0.6, smoothBy: "points", x: "step", range: null, collapsed: [], hideIdentical: true, group: "none" });
  assert.deepEqual(["loss", "val_loss", "lr", "eval/lambada/perplexity", "eval/lambada/acc"].filter((m) => isLogScale(params, m)), ["loss", "val_loss", "eval/lambada/perplexity"]);
  const linear = parseCompareParams({ runs: "a", log: "" }).params;
  assert.deepEqual(linear.log, []);
  assert.equal(isLogScale(linear, "loss"), false, "an empty log list means linear everywhere");
  assert.equal(compareHref(linear), "/compare?runs=a&log=");
});

test("bad values fall back, duplicates count once, and ids past 20 are reported", () => {
  const ids = Array.from({ length: 23 }, (_, i) => `r${i}`);
  const { params, dropped } = parseCompareParams({ runs: [...ids, "r0"].join(","), smooth: "7", x: "sideways", range: "9-3" });
  assert.equal(params.runs.length, 20);
  assert.deepEqual(dropped, ["r20", "r21", "r22"]);
  assert.equal(params.smooth, 0.999);
  assert.equal(params.x, "step");
  assert.equal(params.range, null, "a window that ends before it starts is dropped");
  assert.equal(parseCompareParams({ runs: "a", x: "time" }).params.x, "relative", "links from before the four x-axes still open");
});
