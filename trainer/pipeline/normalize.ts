import { isCodeDoc } from "./code-doc";
import { finishStage, skippedStage, StageNotes } from "./report";
import type { Doc, StepResult } from "./types";

const STEP = "normalize";

// C0/C1 controls except \t and \n (\r is turned into \n first), plus invisible characters that
// only split words: soft hyphen, zero-width space, word joiner, byte-order mark.
const CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u200B\u2060\uFEFF]/g;

/**
 * NFKC, line endings to \n, controls out, whitespace runs collapsed, lines trimmed, at most one
 * blank line in a row. Source code keeps its indentation and alignment (only trailing
 * whitespace goes), since for code the spaces are part of the text.
 */
export function normalizeText(text: string, code = false): string {
  let t = text.normalize("NFKC").replace(/\r\n?|[\u2028\u2029\u0085]/g, "\n").replace(CONTROLS, "");
  t = code ? t.replace(/[ \t]+$/gm, "") : t.replace(/[ \t]+/g, " ").replace(/^ | $/gm, "");
  return t.replace(/\n{3,}/g, "\n\n").replace(/^\n+|\n+$/g, "");
}

/** Stage "normalize"; documents that end up empty are dropped. */
export function normalizeStage(docs: Doc[], enabled: boolean): StepResult {
  if (!enabled) return skippedStage(STEP, docs);
  const notes = new StageNotes();
  const out: Doc[] = [];
  for (const doc of docs) {
    const text = normalizeText(doc.text, isCodeDoc(doc));
    if (!text.trim()) {
      notes.count(doc.domain, "empty");
      if (notes.wantsExample(doc.domain)) notes.example(doc, { before: doc.text, reason: "empty after normalisation" });
      continue;
    }
    if (text === doc.text) {
      out.push(doc);
      continue;
    }
    notes.count(doc.domain, "changed");
    if (notes.wantsExample(doc.domain)) notes.example(doc, { before: doc.text, after: text });
    out.push({ ...doc, text });
  }
  return finishStage(STEP, true, docs, out, notes);
}
