import type { AnyNode, Element } from "domhandler";
import { isTag, isText } from "domhandler";
import { parseDocument } from "htmlparser2";

/** Not content: code, styling, page furniture, controls, embedded documents. */
const DROP = new Set([
  "script", "style", "noscript", "head", "title", "nav", "footer", "form", "iframe", "svg", "template",
  "object", "embed", "applet", "select", "button", "canvas", "map",
]);
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

const END_BLOCK = Symbol("end block");
const END_PRE = Symbol("end pre");

/**
 * The visible text of an HTML document or fragment, with entities decoded and block structure
 * kept as paragraph breaks (a <br> is a line break). Walks the DOM with an explicit stack, since
 * spam nests unclosed tags thousands deep.
 */
export function htmlToText(html: string): string {
  const doc = parseDocument(html, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
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
