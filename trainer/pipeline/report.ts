import type { Example, StepReport } from "../../formats/dataset-report";
import type { Doc, StepResult } from "./types";

const EXAMPLE_CHARS = 600;
const EXAMPLES_PER_REPORT = 5;

export function truncate(text: string, max = EXAMPLE_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

// Stages hand unchanged documents through as the same objects, so each text is measured once.
const byteCache = new WeakMap<Doc, number>();
export function docBytes(doc: Doc): number {
  let n = byteCache.get(doc);
  if (n === undefined) {
    n = Buffer.byteLength(doc.text, "utf8");
    byteCache.set(doc, n);
  }
  return n;
}

/** What a stage noticed along the way: examples and counters, per domain. */
export class StageNotes {
  private examples = new Map<string, Example[]>();
  private counts = new Map<string, Record<string, number>>();
  private stageWide: Record<string, number> = {};

  /** Keeps the first few per domain, so every domain's chart has samples. */
  example(doc: Doc, ex: { before: string; after?: string; reason?: string }): void {
    const list = this.examples.get(doc.domain) ?? [];
    if (list.length >= EXAMPLES_PER_REPORT) return;
    list.push({
      id: doc.id,
      before: truncate(ex.before),
      ...(ex.after !== undefined ? { after: truncate(ex.after) } : {}),
      ...(ex.reason !== undefined ? { reason: ex.reason } : {}),
    });
    this.examples.set(doc.domain, list);
  }

  wantsExample(domain: string): boolean {
    return (this.examples.get(domain)?.length ?? 0) < EXAMPLES_PER_REPORT;
  }

  /** A counter summed per domain and overall (e.g. drops per rule). */
  count(domain: string, key: string, n = 1): void {
    const c = this.counts.get(domain) ?? {};
    c[key] = (c[key] ?? 0) + n;
    this.counts.set(domain, c);
  }

  /** A value about the whole step (e.g. LSH bands), reported only on the overall report. */
  set(key: string, value: number): void {
    this.stageWide[key] = value;
  }

  examplesFor(domain: string): Example[] {
    return this.examples.get(domain) ?? [];
  }

  countsFor(domain: string): Record<string, number> {
    return this.counts.get(domain) ?? {};
  }

  /** Round-robin over domains, so the overall samples are not all from the first domain. */
  overallExamples(domains: string[]): Example[] {
    const out: Example[] = [];
    for (let i = 0; out.length < EXAMPLES_PER_REPORT && i < EXAMPLES_PER_REPORT; i++)
      for (const d of domains) {
        const ex = this.examples.get(d)?.[i];
        if (ex && out.length < EXAMPLES_PER_REPORT) out.push(ex);
      }
    return out;
  }

  overallCounts(): Record<string, number> {
    const total: Record<string, number> = { ...this.stageWide };
    for (const c of this.counts.values()) for (const [k, v] of Object.entries(c)) total[k] = (total[k] ?? 0) + v;
    return total;
  }
}

interface Tally {
  docsIn: number;
  docsOut: number;
  bytesIn: number;
  bytesOut: number;
}

/** Builds the overall and per-domain reports from the documents before and after a stage. */
export function finishStage(step: string, enabled: boolean, before: Doc[], after: Doc[], notes = new StageNotes()): StepResult {
  const tallies = new Map<string, Tally>();
  const tally = (domain: string) => {
    let t = tallies.get(domain);
    if (!t) tallies.set(domain, (t = { docsIn: 0, docsOut: 0, bytesIn: 0, bytesOut: 0 }));
    return t;
  };
  for (const d of before) {
    const t = tally(d.domain);
    t.docsIn++;
    t.bytesIn += docBytes(d);
  }
  for (const d of after) {
    const t = tally(d.domain);
    t.docsOut++;
    t.bytesOut += docBytes(d);
  }
  const domains = [...tallies.keys()];
  const withExtra = (counts: Record<string, number>) => (Object.keys(counts).length ? { extra: counts } : {});
  const domainReports: StepReport[] = domains.map((domain) => ({
    step,
    domain,
    enabled,
    ...tallies.get(domain)!,
    examples: notes.examplesFor(domain),
    ...withExtra(notes.countsFor(domain)),
  }));
  const sum = (k: keyof Tally) => domainReports.reduce((n, r) => n + r[k], 0);
  const report: StepReport = {
    step,
    enabled,
    docsIn: sum("docsIn"),
    docsOut: sum("docsOut"),
    bytesIn: sum("bytesIn"),
    bytesOut: sum("bytesOut"),
    examples: notes.overallExamples(domains),
    ...withExtra(notes.overallCounts()),
  };
  return { docs: after, report, domainReports };
}

/** A switched-off stage: documents pass through as they are. */
export function skippedStage(step: string, docs: Doc[]): StepResult {
  return finishStage(step, false, docs, docs);
}
