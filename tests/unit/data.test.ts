import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { brownDocument, loadDataset, stripBrownTags, trainBatch, valBatches } from "../../trainer/data";

test("strips Brown part-of-speech tags and detokenizes", () => {
  assert.equal(stripBrownTags("The/at Fulton/np-tl County/nn-tl"), "The Fulton County");
  assert.equal(
    stripBrownTags("produced/vbd ``/`` no/at evidence/nn ''/'' that/cs any/dti irregularities/nns took/vbd place/nn ./."),
    'produced "no evidence" that any irregularities took place.',
  );
  assert.equal(stripBrownTags("a/at 1-1/2/cd mile/nn ,/, (/( e.g./rb ,/, Garstung/np )/) ;/."), "a 1-1/2 mile, (e.g., Garstung);");
  assert.equal(brownDocument("\n\n\tOne/cd ./.\nTwo/cd ./.\n\n\n\tThree/cd ./.\n"), "One. Two.\nThree.");
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "data-test-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("builds the brown dataset once, caches it, holds out whole documents", async () => {
  const logs: string[] = [];
  const d = await loadDataset("brown", tmp, (m) => logs.push(m));
  assert.ok(logs.some((l) => l.includes("building")));
  assert.ok(d.train.length > 4_000_000 && d.val.length > 100_000);
  const frac = d.val.length / (d.train.length + d.val.length);
  assert.ok(frac > 0.02 && frac < 0.1, `val fraction ${frac}`);
  const text = Buffer.from(d.train.subarray(0, 200_000)).toString("utf8");
  assert.doesNotMatch(text, /\/(at|nn|np|vbd|in)\b/, "no tags left");
  assert.match(text, /\bthe\b/);
  assert.deepEqual(fs.readdirSync(d.dir).sort(), ["meta.json", "train.bin", "val.bin"]);
  assert.equal(d.meta.sources[0].license.startsWith("MIT"), true);
  assert.equal(fs.readdirSync(path.dirname(d.dir)).filter((f) => f.startsWith(".tmp")).length, 0);

  const again: string[] = [];
  const d2 = await loadDataset("brown", tmp, (m) => again.push(m));
  assert.deepEqual(again, []);
  assert.equal(Buffer.compare(Buffer.from(d2.train), Buffer.from(d.train)), 0);
});

test("nlp-corpus dataset builds and differs from brown", async () => {
  const d = await loadDataset("nlp-corpus", tmp);
  const b = await loadDataset("brown", tmp);
  assert.notEqual(d.dir, b.dir);
  assert.ok(d.train.length > 1_000_000 && d.val.length > 10_000);
  assert.equal(d.meta.sources[0].package, "nlp-corpus");
});

const bytes = Uint8Array.from({ length: 10 }, (_, i) => i * 10);

test("train batches: x/y shifted by one, deterministic, cursor wraps", () => {
  const a = trainBatch(bytes, 6, 2, 4);
  assert.deepEqual(Array.from(a.x), [60, 70, 80, 90, 0, 10, 20, 30]);
  assert.deepEqual(Array.from(a.y), [70, 80, 90, 0, 10, 20, 30, 40]);
  assert.equal(a.cursor, 4); // (6 + 2*4) % 10
  assert.deepEqual(trainBatch(bytes, 6, 2, 4), a);
  const b = trainBatch(bytes, a.cursor, 2, 4);
  assert.equal(b.x[0], 40); // continues where the last batch stopped
});

test("validation batches are fixed and spread over the data", () => {
  const data = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
  const v1 = valBatches(data, 2, 8, 3);
  assert.equal(v1.length, 3);
  assert.deepEqual(valBatches(data, 2, 8, 3), v1);
  const starts = v1.flatMap((b) => [b.x[0], b.x[8]]);
  assert.equal(new Set(starts).size, 6);
  for (const b of v1) for (let i = 0; i < b.x.length; i++) if (i % 8 !== 7) assert.equal(b.y[i], b.x[i + 1]);
  assert.equal(valBatches(Uint8Array.from([1, 2, 3]), 1, 8, 1)[0].x.length, 8, "shorter than a window: wraps");
});
