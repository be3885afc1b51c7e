import assert from "node:assert/strict";
import { test } from "node:test";
import { exclusionIssues } from "../../lib/exclusion";
import { layerNormsAt, median, rollbackCaveats } from "../../lib/forensics";
import { Rng } from "../../lib/rng";
import { excludeData } from "../../trainer/data/exclude-stream";
import { MixtureSampler } from "../../trainer/data/mixture";
import { filterStream, fromOriginal, toOriginal } from "../../trainer/data/stream-filter";

const stream = Uint16Array.from([1, 2, 9, 3, 4, 5, 9, 6, 9, 7, 8, 9]); // documents at 0, 3, 7, 9 (9 = end-of-text)

test("excluded documents leave the stream; each kept token keeps its position as prepared", () => {
  const f = filterStream(stream, [{ start: 3, length: 4 }, { start: 7, length: 2 }]);
  assert.deepEqual([...f.tokens], [1, 2, 9, 7, 8, 9]);
  assert.deepEqual([...f.origin!], [0, 1, 2, 9, 10, 11]);
  assert.equal(f.removed, 6);
  // Overlapping ranges cut once.
  assert.equal(filterStream(stream, [{ start: 3, length: 4 }, { start: 4, length: 3 }]).removed, 4);
  assert.throws(() => filterStream(stream, [{ start: 10, length: 5 }]), /excluded tokens 10..15 lie outside the stream's 12 tokens/);
});

test("cursors map onto the shortened stream: inside a cut they go on just past it, past the end they wrap", () => {
  const { origin } = filterStream(stream, [{ start: 3, length: 4 }, { start: 7, length: 2 }]);
  assert.deepEqual([0, 1, 2, 3, 5, 7, 8, 9, 11].map((o) => fromOriginal(origin, o)), [0, 1, 2, 3, 3, 3, 3, 3, 5]);
  for (let i = 0; i < origin!.length; i++) assert.equal(fromOriginal(origin, toOriginal(origin, i)), i);
  const tail = filterStream(stream, [{ start: 9, length: 3 }]);
  assert.equal(fromOriginal(tail.origin, 10), 0);
  assert.equal(fromOriginal(null, 7), 7);
});

test("a sampler over a cut stream saves cursors as prepared-stream offsets and restores them exactly", () => {
  const long = new Uint16Array(400).map((_, i) => (i % 10 === 9 ? 9 : i % 7));
  const domains = excludeData([{ name: "web", weight: 1, train: long, val: long }], { domains: [], documents: [{ domain: "web", start: 20, length: 30 }] }, ["web"]);
  assert.equal(domains[0].train.length, 370);
  const s = new MixtureSampler(domains, 2, 8, new Rng(1));
  s.nextBatch();
  s.nextBatch(); // 4 windows of 8: filtered cursor 32 is position 62 as prepared
  assert.deepEqual(s.getState().cursors, { web: 62 });
  const t = new MixtureSampler(domains, 2, 8, new Rng(1));
  t.setState(s.getState());
  assert.deepEqual(t.nextBatch(), s.nextBatch());
  // A run that had not cut the stream, continued with the cut: a cursor inside it goes on past it.
  const u = new MixtureSampler(domains, 1, 8, new Rng(1));
  u.setState({ cursors: { web: 30 }, drawn: { web: 3 } });
  assert.deepEqual(u.getState().cursors, { web: 50 });
});

test("an excluded domain leaves the mixture; unknown domains and documents past the stream are refused", () => {
  const d = (name: string) => ({ name, weight: 1, train: stream, val: stream });
  assert.deepEqual(excludeData([d("web"), d("code")], { domains: ["code"], documents: [] }, ["web", "code"]).map((x) => x.name), ["web"]);
  assert.throws(() => excludeData([d("web")], { domains: ["books"], documents: [] }, ["web"]), /exclude names books; the dataset has the domains web/);
  assert.throws(() => excludeData([d("web")], { domains: [], documents: [{ domain: "web", start: 0, length: 12 }] }, ["web"]), /leaves domain web 0 training tokens/);
  assert.throws(() => excludeData([d("web")], { domains: [], documents: [{ domain: "web", start: 8, length: 5 }] }, ["web"]), /exclude: tokens 8..13 lie outside domain web's 12 training tokens/);
  // A continued parent's state may cover a domain this run left out.
  const s = new MixtureSampler(excludeData([d("web"), d("code")], { domains: ["code"], documents: [] }, ["web", "code"]), 1, 4, new Rng(1));
  assert.throws(() => s.setState({ cursors: { web: 4, code: 1 }, drawn: { web: 1, code: 1 } }), /covers domains \[code,web\]/);
  s.setState({ cursors: { web: 4, code: 1 }, drawn: { web: 1, code: 1 } }, { otherDomains: true });
  assert.deepEqual(s.getState(), { cursors: { web: 4 }, drawn: { web: 1 } });
  const issues = exclusionIssues({ domains: ["books"], documents: [{ domain: "web", start: 10, length: 5 }, { domain: "x", start: 0, length: 1 }] }, ["web"], { web: 12 });
  assert.deepEqual(issues.map((i) => i.path.join(".")), ["exclude.domains.0", "exclude.documents.0", "exclude.documents.1.domain"]);
});

test("per-layer norms against the median of the steps before", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(median([]), null);
  const pts = (vals: number[]) => vals.map((value, step) => ({ step, value }));
  const rows = layerNormsAt(new Map([["00", pts([1, 1, 2, 1, 1, 10])], ["01", pts([0, 0, 0])]]), 5, 3);
  assert.deepEqual(rows[0], { row: "00", value: 10, median: 1, ratio: 10, window: 3 });
  assert.deepEqual(rows[1], { row: "01", value: null, median: 0, ratio: null, window: 3 });
});

test("a rollback between the checkpoint and the step is named as a reason the rebuild may differ", () => {
  const rb = (step: number, to: number) => ({ step, message: `rollback 1/3: loss spike; restored the checkpoint at step ${to} and skipped 31 data batches` });
  const caveats = rollbackCaveats([rb(55, 50), rb(140, 100), rb(45, 0)], 50, 80);
  assert.equal(caveats.length, 1);
  assert.match(caveats[0], /A rollback at step 55 \(back to step 50\) lies between the checkpoint at step 50 and step 80: .*may differ/);
  assert.deepEqual(rollbackCaveats([rb(140, 100)], 100, 120).length, 1);
  assert.deepEqual(rollbackCaveats([], 50, 80), []);
});
