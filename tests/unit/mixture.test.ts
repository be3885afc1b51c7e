import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../lib/rng";
import { apportion, MixtureSampler, type MixtureDomain } from "../../trainer/data/mixture";

/** Token values encode the domain (hundreds digit) and the split, so a window shows its origin. */
const shard = (domainIndex: number, length: number, val = false) =>
  Uint16Array.from({ length }, (_, i) => domainIndex * 1000 + (val ? 500 : 0) + (i % 400));
const origin = (token: number) => Math.floor(token / 1000);

const three = (): MixtureDomain[] => [
  { name: "web", weight: 0.5, train: shard(0, 50_000), val: shard(0, 2_000, true) },
  { name: "books", weight: 0.3, train: shard(1, 30_000), val: shard(1, 2_000, true) },
  { name: "code-js", weight: 0.2, train: shard(2, 20_000), val: shard(2, 2_000, true) },
];

test("each sequence's domain follows the weights: measured shares within ±0.02 over 2000 batches", () => {
  const B = 8;
  const T = 16;
  const s = new MixtureSampler(three(), B, T, new Rng(3));
  const rows = { web: 0, books: 0, "code-js": 0 };
  const names = ["web", "books", "code-js"] as const;
  for (let n = 0; n < 2000; n++) {
    const batch = s.nextBatch();
    for (let b = 0; b < B; b++) {
      const d = origin(batch.x[b * T]);
      for (let t = 0; t < T; t++) assert.equal(origin(batch.x[b * T + t]), d, "a window never mixes domains");
      rows[names[d]]++;
    }
  }
  for (const [name, weight] of [["web", 0.5], ["books", 0.3], ["code-js", 0.2]] as const) {
    assert.ok(Math.abs(s.share(name) - weight) < 0.02, `${name} share ${s.share(name)}`);
    assert.equal(s.share(name), rows[name] / (2000 * B), "share() counts what the batches held");
  }
  assert.deepEqual(s.names, ["books", "code-js", "web"]);
});

test("windows: x/y shifted by one, sequential per domain, wrapping at the end (an epoch)", () => {
  const d: MixtureDomain = { name: "only", weight: 1, train: Uint16Array.from({ length: 10 }, (_, i) => i * 10), val: new Uint16Array(0) };
  const s = new MixtureSampler([d], 2, 4, new Rng(1));
  const a = s.nextBatch();
  assert.deepEqual(Array.from(a.x), [0, 10, 20, 30, 40, 50, 60, 70]);
  assert.deepEqual(Array.from(a.y), [10, 20, 30, 40, 50, 60, 70, 80]);
  const b = s.nextBatch();
  assert.deepEqual(Array.from(b.x), [80, 90, 0, 10, 20, 30, 40, 50]);
  assert.deepEqual(Array.from(b.y), [90, 0, 10, 20, 30, 40, 50, 60]);
  assert.equal(s.epochs("only"), 1.6); // 4 windows × 4 targets / 10 tokens
  assert.deepEqual(s.getState(), { cursors: { only: 6 }, drawn: { only: 4 } });
});

test("a small domain with a large weight is oversampled: its epochs pass 1 while the large one's stay below", () => {
  const domains: MixtureDomain[] = [
    { name: "small", weight: 0.5, train: shard(0, 500), val: shard(0, 100, true) },
    { name: "large", weight: 0.5, train: shard(1, 200_000), val: shard(1, 100, true) },
  ];
  const s = new MixtureSampler(domains, 4, 32, new Rng(9));
  for (let n = 0; n < 100; n++) s.nextBatch();
  const small = s.getState().drawn.small;
  assert.equal(s.epochs("small"), (small * 32) / 500);
  assert.ok(s.epochs("small") > 5, `small epochs ${s.epochs("small")}`);
  assert.ok(s.epochs("large") < 0.1, `large epochs ${s.epochs("large")}`);
});

test("state round trip (through JSON) gives identical next batches", () => {
  const rng = new Rng(11);
  const s = new MixtureSampler(three(), 4, 8, rng);
  for (let n = 0; n < 57; n++) s.nextBatch();
  const saved = JSON.parse(JSON.stringify({ data: s.getState(), rng: rng.getState() }));
  const expected = Array.from({ length: 20 }, () => s.nextBatch());

  const rng2 = new Rng(999);
  const t = new MixtureSampler(three(), 4, 8, rng2);
  t.setState(saved.data);
  rng2.setState(saved.rng);
  const got = Array.from({ length: 20 }, () => t.nextBatch());
  assert.deepEqual(got, expected);
  assert.equal(t.share("web"), s.share("web"));
  assert.equal(t.epochs("books"), s.epochs("books"));

  // A fresh sampler without the state draws something else.
  const u = new MixtureSampler(three(), 4, 8, new Rng(999));
  assert.notDeepEqual(u.nextBatch(), expected[0]);
});

test("a batch size per call: the window stream is the same however it is cut, and resumes mid-ramp", () => {
  const T = 8;
  const whole = new MixtureSampler(three(), 4, T, new Rng(5)).nextBatch(12);
  const rng = new Rng(5);
  const s = new MixtureSampler(three(), 4, T, rng);
  const first = s.nextBatch(3);
  assert.equal(first.x.length, 3 * T);
  const saved = JSON.parse(JSON.stringify({ data: s.getState(), rng: rng.getState() }));
  const rest = [s.nextBatch(), s.nextBatch(5)]; // the default B = 4, then 5
  assert.deepEqual([first, ...rest].flatMap((b) => Array.from(b.x)), Array.from(whole.x));
  assert.deepEqual([first, ...rest].flatMap((b) => Array.from(b.y)), Array.from(whole.y));
  const rng2 = new Rng(0);
  const t = new MixtureSampler(three(), 4, T, rng2);
  t.setState(saved.data);
  rng2.setState(saved.rng);
  assert.deepEqual([t.nextBatch(4), t.nextBatch(5)], rest);
  assert.throws(() => s.nextBatch(0), /batch size 0 is not a positive integer/);
});

test("setState rejects state from another dataset or out of range", () => {
  const s = new MixtureSampler(three(), 2, 8, new Rng(1));
  assert.throws(() => s.setState({ cursors: { web: 0 }, drawn: { web: 0 } }), /domains \[web\].*\[books,code-js,web\]/);
  assert.throws(() => s.setState({ cursors: { web: 0, books: 0, "code-js": 20_000 }, drawn: { web: 0, books: 0, "code-js": 0 } }), /cursor 20000 of domain code-js/);
  assert.throws(() => s.setState({ cursors: { web: 0, books: 0, "code-js": 0 }, drawn: { web: -1, books: 0, "code-js": 0 } }), /count -1/);
  assert.throws(() => s.setState(7), /not a mixture sampler state/);
});

test("validation: fixed windows from the val shards, split over domains by weight", () => {
  const s = new MixtureSampler(three(), 4, 16, new Rng(1));
  const v1 = s.valBatches(5);
  s.nextBatch();
  assert.deepEqual(s.valBatches(5), v1, "same windows on every call, whatever training drew");
  const perDomain = [0, 0, 0];
  for (const b of v1)
    for (let r = 0; r < 4; r++) {
      assert.ok(b.x[r * 16] % 1000 >= 500, "drawn from a val shard");
      perDomain[origin(b.x[r * 16])]++;
      for (let t = 0; t < 15; t++) assert.equal(b.y[r * 16 + t], b.x[r * 16 + t + 1]);
    }
  assert.deepEqual(perDomain, [10, 6, 4]); // 20 windows × .5/.3/.2
  const starts = v1.flatMap((b) => [0, 1, 2, 3].map((r) => b.x[r * 16]));
  assert.ok(new Set(starts).size > 15, "windows are spread over each shard");

  const noVal = three();
  noVal[2].val = new Uint16Array(0);
  const w = new MixtureSampler(noVal, 2, 8, new Rng(1)).valBatches(4);
  assert.ok(w.every((b) => Array.from(b.x).every((x) => origin(x) !== 2)), "a domain without val tokens is left out");
  assert.throws(() => new MixtureSampler([{ ...noVal[2] }], 2, 8, new Rng(1)).valBatches(1), /no validation tokens/);
});

test("largest-remainder apportionment sums to the total", () => {
  assert.deepEqual(apportion([0.5, 0.3, 0.2], 10), [5, 3, 2]);
  assert.deepEqual(apportion([1, 1, 1], 4), [2, 1, 1]);
  for (let total = 1; total < 50; total++) assert.equal(apportion([0.45, 0.3, 0.12, 0.13], total).reduce((a, b) => a + b, 0), total);
});

test("a domain with weight 0 is never drawn; a domain too small is an error", () => {
  const d = three();
  d[0].weight = 0;
  const s = new MixtureSampler(d, 8, 4, new Rng(2));
  for (let n = 0; n < 50; n++) assert.ok(Array.from(s.nextBatch().x).every((x) => origin(x) !== 0));
  assert.deepEqual(s.names, ["books", "code-js"]);
  assert.throws(() => new MixtureSampler([{ name: "tiny", weight: 1, train: Uint16Array.of(1), val: new Uint16Array(0) }], 1, 4, new Rng(1)), /at least 2/);
});
