import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_THRESHOLDS } from "../../lib/anomaly/thresholds";
import { ThroughputDetector } from "../../lib/anomaly/throughput";
import type { Anomaly } from "../../lib/anomaly/types";

/** Feeds `perSecond` readings a second for `seconds` seconds; speed(second, i) gives each. */
function feed(perSecond: number, seconds: number, speed: (second: number, i: number) => number) {
  const d = new ThroughputDetector(DEFAULT_THRESHOLDS);
  const found: { second: number; a: Anomaly }[] = [];
  let step = 0;
  for (let s = 0; s < seconds; s++)
    for (let i = 0; i < perSecond; i++) {
      const wallTime = 1.7e9 + s + i / perSecond;
      const a = d.observe(step++, speed(s, i), wallTime);
      if (a) found.push({ second: s, a });
    }
  return found;
}

test("a trainer logging 100 times a second: pauses of a few readings every second stay silent", () => {
  // Five readings in a row at 5% (a 50 ms stall), every second, for two minutes.
  assert.deepEqual(feed(100, 120, (_s, i) => (i >= 40 && i < 45 ? 1000 : 20_000)), []);
});

test("a trainer logging 100 times a second: a slowdown to 30% held for 8 seconds fires from its 5th second on", () => {
  const found = feed(100, 130, (s) => (s >= 100 && s < 108 ? 6000 : 20_000));
  // Each second is judged when the next one begins, so the 5th slow second (104) reports at 105.
  assert.deepEqual(found.map((f) => f.second), [105, 106, 107, 108]);
  assert.equal(found[0].a.value, 6000);
  assert.match(found[0].a.message, /low for 5 readings in a row/);
});

test("a trainer logging every two seconds is judged on each reading as it comes", () => {
  const d = new ThroughputDetector(DEFAULT_THRESHOLDS);
  const slow: number[] = [];
  for (let r = 0; r < 130; r++) if (d.observe(r, r >= 100 && r < 108 ? 6000 : 20_000, 1.7e9 + 2 * r)) slow.push(r);
  assert.deepEqual(slow, [104, 105, 106, 107], "the 5th low reading fires at once, as without wall times");
});
