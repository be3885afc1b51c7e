import type { SafetySettings } from "../../lib/dataset-spec";
import type { z } from "zod";
import { finishStage, skippedStage, StageNotes, truncate } from "./report";
import { SAFETY_RULES } from "./safety-rules";
import type { Doc, Flagged, StepResult } from "./types";

export { luhnValid, SAFETY_RULES } from "./safety-rules";

type Safety = z.infer<typeof SafetySettings>;

const STEP = "safety";

/**
 * Documents shorter than this count as this long: otherwise one weak hit (a phone number in a
 * two-line mail) would score as high as a page of explicit content.
 */
export const MIN_SCORED_WORDS = 100;

/** Weighted rule hits per 1,000 words, and the rules that hit as "category:label". */
export function safetyScore(text: string): { score: number; hits: string[] } {
  const words = text.split(/\s+/).filter(Boolean).length;
  let weight = 0;
  const hits: string[] = [];
  for (const rule of SAFETY_RULES) {
    let n = 0;
    for (const m of text.matchAll(rule.pattern)) if (!rule.verify || rule.verify(m[0])) n++;
    if (n === 0) continue;
    weight += n * rule.weight;
    hits.push(`${rule.category}:${rule.label}${n > 1 ? ` ×${n}` : ""}`);
  }
  return { score: (weight * 1000) / Math.max(words, MIN_SCORED_WORDS), hits };
}

/** Stage "safety": documents scoring at or above the threshold are removed and returned as `flagged`. */
export function safetyStage(docs: Doc[], settings: Safety): StepResult & { flagged: Flagged[] } {
  if (!settings.enabled) return { ...skippedStage(STEP, docs), flagged: [] };
  const notes = new StageNotes();
  const flagged: Flagged[] = [];
  const out = docs.filter((doc) => {
    const { score, hits } = safetyScore(doc.text);
    if (score < settings.threshold) return true;
    const rounded = Math.round(score * 100) / 100;
    flagged.push({ id: doc.id, domain: doc.domain, score: rounded, hits, text: truncate(doc.text) });
    notes.count(doc.domain, "flagged");
    for (const h of hits) notes.count(doc.domain, h.split(":")[0]);
    if (notes.wantsExample(doc.domain)) notes.example(doc, { before: doc.text, reason: `score ${rounded} ≥ ${settings.threshold}: ${hits.join(", ")}` });
    return false;
  });
  return { ...finishStage(STEP, true, docs, out, notes), flagged };
}
