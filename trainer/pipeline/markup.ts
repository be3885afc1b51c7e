import { isCodeDoc } from "./code-doc";
import { htmlToText } from "./html-text";
import { mailTexts } from "./mime";
import { finishStage, skippedStage, StageNotes } from "./report";
import type { Doc, StepResult } from "./types";

const STEP = "markup";

/**
 * Detection only (the text itself is extracted by a parser): the document opens with a tag, has
 * an <html>/<body> tag, or has several common formatting tags, one of them a closing tag (prose
 * has "<snip>" or "<grin>", but rarely "</a>").
 */
export function looksLikeHtml(text: string): boolean {
  if (/^\s*(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|style|table|div|p|font|center|span|a|b|br|img|h[1-6])[\s>/]/i.test(text))
    return true;
  if (/<(?:html|body)[\s>]/i.test(text)) return true;
  const tags = text.match(/<\/?(?:html|p|br|div|font|td|tr|table|a|b|i|u|center|span|img)\b[^<>]*>/gi) ?? [];
  return tags.length >= 5 || (tags.length >= 2 && tags.some((t) => t.startsWith("</")));
}

const isHtmlFile = (doc: Doc) => /\.html?$/i.test(doc.source);

/** The text of one document without mail headers, transfer encodings or HTML. */
export function stripMarkup(doc: Doc): string {
  // An HTML string inside a source file is part of the program, not a page.
  if (isCodeDoc(doc)) return doc.text;
  const parts = mailTexts(doc.text);
  if (parts) return parts.map((p) => (p.html || looksLikeHtml(p.text) ? htmlToText(p.text) : p.text.trim())).filter(Boolean).join("\n\n");
  return isHtmlFile(doc) || looksLikeHtml(doc.text) ? htmlToText(doc.text) : doc.text;
}

/** Stage "markup": mail headers dropped, MIME parts decoded, HTML reduced to its visible text. */
export function markupStage(docs: Doc[], enabled: boolean): StepResult {
  if (!enabled) return skippedStage(STEP, docs);
  const notes = new StageNotes();
  const out = docs.map((doc) => {
    const text = stripMarkup(doc);
    if (text === doc.text) return doc;
    notes.count(doc.domain, "changed");
    if (notes.wantsExample(doc.domain)) notes.example(doc, { before: doc.text, after: text });
    return { ...doc, text };
  });
  return finishStage(STEP, true, docs, out, notes);
}
