// Measures the whole cleaning on the default sources and prints MB/s and per-domain rates; the
// assertions check only that the reports add up, never a timing.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StepReport } from "../../formats/dataset-report";
import { DatasetSpec } from "../../lib/dataset-spec";
import { cleanDocuments, STAGES } from "../../trainer/pipeline/run-stages";
import { loadSource } from "../../trainer/pipeline/sources";

const pct = (part: number, whole: number) => (whole ? `${((100 * part) / whole).toFixed(1)}%` : "–");

test("cleanDocuments on the default sources: throughput and per-domain rates", async () => {
  const spec = DatasetSpec.parse({ name: "x" });
  const t0 = performance.now();
  const docs = (await Promise.all(spec.sources.map((s) => loadSource(s)))).flat();
  const loadSec = (performance.now() - t0) / 1000;
  const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d.text, "utf8"), 0);

  const stageTimes: number[] = [];
  let last = performance.now();
  const t1 = last;
  const seen: string[] = [];
  const result = cleanDocuments(docs, spec, (name, index) => {
    const now = performance.now();
    if (index > 0) stageTimes.push((now - last) / 1000);
    last = now;
    if (index < STAGES.length) seen.push(name);
  });
  const cleanSec = (performance.now() - t1) / 1000;

  console.log(`loaded ${docs.length} documents, ${(bytes / 1e6).toFixed(1)} MB in ${loadSec.toFixed(2)} s`);
  console.log(`cleanDocuments: ${cleanSec.toFixed(2)} s, ${(bytes / 1e6 / cleanSec).toFixed(2)} MB/s of raw input`);
  console.log(STAGES.map((s, i) => `${s} ${stageTimes[i].toFixed(2)} s`).join(", "));
  const domains = spec.sources.map((s) => s.domain);
  const rows = result.reports.filter((r) => r.domain);
  console.log("per domain: documents removed by each stage (share of the stage's input documents / bytes), bytes kept overall");
  for (const domain of domains) {
    const mine = rows.filter((r) => r.domain === domain);
    const first = mine[0];
    const lastR = mine[mine.length - 1];
    const cells = mine.map((r) => `${r.step} −${r.docsIn - r.docsOut} (${pct(r.docsIn - r.docsOut, r.docsIn)} / ${pct(r.bytesIn - r.bytesOut, r.bytesIn)})`);
    console.log(`  ${domain}: ${first.docsIn} → ${lastR.docsOut} docs, ${pct(lastR.bytesOut, first.bytesIn)} of bytes kept; ${cells.join(", ")}`);
  }
  console.log(`flagged by safety: ${result.flagged.length}`);

  assert.deepEqual(seen, [...STAGES]);
  assert.equal(result.reports.length, STAGES.length * (1 + domains.length));
  const overall = result.reports.filter((r) => !r.domain);
  assert.deepEqual(overall.map((r) => r.step), [...STAGES]);
  overall.forEach((r, i) => {
    if (i > 0) assert.equal(r.docsIn, overall[i - 1].docsOut, `${r.step} starts where ${overall[i - 1].step} ended`);
    const parts = rows.filter((x) => x.step === r.step);
    for (const k of ["docsIn", "docsOut", "bytesIn", "bytesOut"] as (keyof StepReport)[])
      assert.equal(parts.reduce((n, x) => n + (x[k] as number), 0), r[k], `${r.step} ${k} sums over domains`);
    assert.ok(r.examples.length <= 5);
  });
  assert.equal(overall[0].docsIn, docs.length);
  assert.equal(overall.at(-1)!.docsOut, result.docs.length);
  assert.equal(overall.at(-1)!.docsIn - result.docs.length, result.flagged.length);
  for (const domain of domains) assert.ok(result.docs.some((d) => d.domain === domain), `${domain} keeps documents`);
  // Bodies may quote headers (bounces, forwards), but no mail keeps its own header block.
  const raw = new Map(docs.map((d) => [d.id, d.text]));
  for (const d of result.docs.filter((x) => x.domain === "web"))
    assert.ok(!d.text.includes(raw.get(d.id)!.split("\n").slice(0, 2).join("\n")), `${d.id} keeps its headers`);
});
