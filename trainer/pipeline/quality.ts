import type { QualitySettings } from "../../lib/dataset-spec";
import type { z } from "zod";
import { CharNgramModel } from "./char-model";
import { charEntropy, latinShare, meanWordLength, repeatedNgramFraction, symbolToWordRatio } from "./quality-measures";
import { finishStage, skippedStage, StageNotes } from "./report";
import type { Doc, StepResult } from "./types";

export { charEntropy, latinShare, meanWordLength, repeatedNgramFraction, symbolToWordRatio } from "./quality-measures";
export { CharNgramModel } from "./char-model";

type Quality = z.infer<typeof QualitySettings>;

const STEP = "quality";

interface Rule {
  /** Counter name in the report's `extra`. */
  name: string;
  measure(text: string): number;
  /** The limit for these settings, and whether the value must stay below ("max") or above it. */
  limit(s: Quality): { kind: "min" | "max"; value: number };
}

/** Checked in this order; a dropped document is counted under the first rule it fails. */
export const QUALITY_RULES: Rule[] = [
  { name: "entropy", measure: charEntropy, limit: (s) => ({ kind: "min", value: s.minEntropy }) },
  { name: "repeatedNgrams", measure: (t) => repeatedNgramFraction(t, 3), limit: (s) => ({ kind: "max", value: s.maxRepeatedNgramFraction }) },
  { name: "symbolRatio", measure: symbolToWordRatio, limit: (s) => ({ kind: "max", value: s.maxSymbolToWordRatio }) },
  { name: "meanWordLengthMin", measure: meanWordLength, limit: (s) => ({ kind: "min", value: s.minMeanWordLength }) },
  { name: "meanWordLengthMax", measure: meanWordLength, limit: (s) => ({ kind: "max", value: s.maxMeanWordLength }) },
  { name: "latinShare", measure: latinShare, limit: (s) => ({ kind: "min", value: s.minScriptShare }) },
];

const fmt = (x: number) => (Number.isFinite(x) ? String(Math.round(x * 1000) / 1000) : String(x));

/** Why `text` fails the rules, or null when it passes. */
export function qualityFailure(text: string, settings: Quality): { rule: string; reason: string } | null {
  const measured = new Map<Rule["measure"], number>(); // the two word-length rules share one measurement
  for (const rule of QUALITY_RULES) {
    const v = measured.get(rule.measure) ?? rule.measure(text);
    measured.set(rule.measure, v);
    const { kind, value } = rule.limit(settings);
    if (kind === "min" ? v < value : v > value)
      return { rule: rule.name, reason: `${rule.name} ${fmt(v)} ${kind === "min" ? "<" : ">"} ${kind} ${fmt(value)}` };
  }
  return null;
}

/**
 * Stage "quality": the heuristic rules, then optionally the perplexity filter, whose model is
 * trained on the reference domain's documents that passed the rules. Domains in skipDomains
 * pass untouched; the reference domain is never filtered by perplexity.
 */
export function qualityStage(docs: Doc[], settings: Quality): StepResult {
  if (!settings.enabled) return skippedStage(STEP, docs);
  const notes = new StageNotes();
  const skip = new Set(settings.skipDomains);
  const drop = (doc: Doc, rule: string, reason: string) => {
    notes.count(doc.domain, rule);
    if (notes.wantsExample(doc.domain)) notes.example(doc, { before: doc.text, reason });
  };
  const passed = docs.filter((doc) => {
    if (skip.has(doc.domain)) return true;
    const failure = qualityFailure(doc.text, settings);
    if (failure) drop(doc, failure.rule, failure.reason);
    return !failure;
  });

  const ppl = settings.perplexity;
  if (!ppl.enabled) return finishStage(STEP, true, docs, passed, notes);
  const reference = passed.filter((d) => d.domain === ppl.referenceDomain).map((d) => d.text);
  if (reference.length === 0)
    throw new Error(`Perplexity filter: the reference domain "${ppl.referenceDomain}" has no documents left to train on`);
  const model = CharNgramModel.train(reference);
  const out = passed.filter((doc) => {
    if (skip.has(doc.domain) || doc.domain === ppl.referenceDomain) return true;
    const p = model.perplexity(doc.text);
    if (p <= ppl.maxPerplexity) return true;
    drop(doc, "perplexity", `perplexity ${fmt(p)} > max ${fmt(ppl.maxPerplexity)} (model of ${ppl.referenceDomain})`);
    return false;
  });
  return finishStage(STEP, true, docs, out, notes);
}
