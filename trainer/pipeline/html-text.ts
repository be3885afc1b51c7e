import type { AnyNode, Element } from "domhandler";
import { isTag, isText } from "domhandler";
import { parseDocument } from "htmlparser2";

/**
 * Not content: code, styling, controls, embedded documents. The <head> children are listed one by
 * one rather than <head> itself, because htmlparser2 builds no HTML5 tree: a stray <head> inside
 * <body> (common in spam) would otherwise swallow the whole page.
 */
const DROP = new Set([
  "script", "style", "noscript", "title", "meta", "link", "iframe", "svg", "template", "object",
  "embed", "applet", "select", "button", "textarea", "canvas", "map",
]);
/** Page furniture, dropped unless it holds most of the text: many mails wrap their whole body in a <form>. */
const FURNITURE = new Set(["head", "nav", "footer", "form"]);
/** Elements that start a new paragraph. */
const BLOCK = new Set([
  "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "ul", "ol", "dl", "dt", "dd",
  "blockquote", "pre", "section", "article", "header", "aside", "main", "hr", "center", "address",
  "figure", "figcaption", "fieldset", "caption", "body",
]);
const CELL = new Set(["td", "th"]);

/** Spam hides text from readers but not from filters; readers are who we write for. */
function hidden(el: Element): boolean {
  if ("hidden" in el.attribs) return true;
  const style = (el.attribs.style ?? "").toLowerCase().replace(/\s+/g, "");
  return style.includes("display:none") || style.includes("visibility:hidden");
}

const SILENT = new Set(["script", "style", "noscript", "template"]);

/** Characters of text under `root`, not counting scripts and styles. */
function textLength(root: AnyNode): number {
  let n = 0;
  const stack: AnyNode[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (isText(node)) n += node.data.trim().length;
    else if ("children" in node && !(isTag(node) && SILENT.has(node.name))) for (const c of node.children) stack.push(c);
  }
  return n;
}

const END_BLOCK = Symbol("end block");
const END_PRE = Symbol("end pre");

/**
 * The visible text of an HTML document or fragment, with entities decoded and block structure
 * kept as paragraph breaks (a <br> is a line break). Walks the DOM with an explicit stack, since
 * spam nests unclosed tags thousands deep.
 */
export function htmlToText(html: string): string {
  const doc = parseDocument(html, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  const total = textLength(doc);
  const out: string[] = [];
  const stack: (AnyNode | typeof END_BLOCK | typeof END_PRE)[] = [...doc.children].reverse();
  let pre = 0;
  while (stack.length) {
    const node = stack.pop()!;
    if (node === END_BLOCK) {
      out.push("\n\n");
    } else if (node === END_PRE) {
      pre--;
      out.push("\n\n");
    } else if (isText(node)) {
      out.push(pre > 0 ? node.data : node.data.replace(/[ \t\n\r\f]+/g, " "));
    } else if (isTag(node)) {
      const name = node.name;
      if (DROP.has(name) || hidden(node)) continue;
      if (FURNITURE.has(name) && textLength(node) < total / 2) continue;
      if (name === "br") {
        out.push("\n");
        continue;
      }
      if (name === "pre") {
        pre++;
        out.push("\n\n");
        stack.push(END_PRE);
      } else if (BLOCK.has(name)) {
        out.push("\n\n");
        stack.push(END_BLOCK);
      } else if (CELL.has(name)) {
        out.push(" ");
      }
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
    }
    // Comments, doctypes and CDATA carry no visible text.
  }
  return out
    .join("")
    .replace(/[ \t]*\n[ \t]*/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
