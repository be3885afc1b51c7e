import { decodeBytes } from "./decode";

/** A readable part of a mail body, decoded from its transfer encoding and charset. */
export interface MailText {
  text: string;
  html: boolean;
}

type Headers = Map<string, string>;

const MAX_DEPTH = 8;
const FIELD = /^[!-9;-~]+:/;
const MBOX_FROM = /^From \S/;
const MAIL_FIELDS = new Set(["from", "to", "subject", "date", "received", "message-id", "mime-version", "content-type", "return-path", "delivered-to"]);

/** Parses a header block (unfolding continuation lines); null when a line is not a header. */
function parseHeaderLines(lines: string[]): Headers | null {
  const headers: Headers = new Map();
  let fields = 0;
  let last: string | null = null; // null after a repeated field: only first occurrences are kept
  for (const line of lines) {
    if (/^[ \t]/.test(line) && fields > 0) {
      if (last) headers.set(last, `${headers.get(last)} ${line.trim()}`);
    } else if (FIELD.test(line)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).toLowerCase();
      fields++;
      last = headers.has(name) ? null : name;
      if (last) headers.set(name, line.slice(colon + 1).trim());
    } else {
      return null;
    }
  }
  return headers;
}

function splitAtBlankLine(text: string): [string[], string] {
  const m = /\n[ \t]*\n/.exec(text);
  const head = m ? text.slice(0, m.index) : text;
  return [head.split("\n"), m ? text.slice(m.index + m[0].length) : ""];
}

/**
 * When `text` starts with an RFC 822 header block (optionally after an mbox "From " line), its
 * headers and body; otherwise null. At least two fields, one of them a usual mail field, so prose
 * that opens with "Note: …" is not mistaken for a mail.
 */
export function splitMail(text: string): { headers: Headers; body: string } | null {
  if (!FIELD.test(text) && !MBOX_FROM.test(text)) return null;
  const t = text.replace(/\r\n?/g, "\n");
  const [lines, body] = splitAtBlankLine(t);
  const headers = parseHeaderLines(MBOX_FROM.test(lines[0]) ? lines.slice(1) : lines);
  if (!headers) return null;
  if (headers.size < 2 || ![...headers.keys()].some((n) => MAIL_FIELDS.has(n))) return null;
  return { headers, body };
}

/** `type/subtype; a=b; c="d"` → lower-case type and parameters. */
function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  const [type, ...rest] = (value ?? "text/plain").split(";");
  const params: Record<string, string> = {};
  for (const m of rest.join(";").matchAll(/([^=\s;]+)\s*=\s*(?:"([^"]*)"|([^;\s]*))/g)) params[m[1].toLowerCase()] = m[2] ?? m[3];
  return { type: type.trim().toLowerCase() || "text/plain", params };
}

export function decodeQuotedPrintable(body: string, charset?: string): string {
  const s = body.replace(/=[ \t]*\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const hex = c === 61 /* = */ ? s.slice(i + 1, i + 3) : "";
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c < 128) {
      bytes.push(c);
    } else {
      // QP is 7-bit; a stray non-ASCII character is kept as it was read.
      for (const b of Buffer.from(s[i], "utf8")) bytes.push(b);
    }
  }
  return decodeBytes(Uint8Array.from(bytes), charset);
}

function decodeBody(headers: Headers, body: string, charset?: string): string {
  const encoding = (headers.get("content-transfer-encoding") ?? "").trim().toLowerCase();
  if (encoding === "base64") return decodeBytes(Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ""), "base64"), charset);
  if (encoding === "quoted-printable") return decodeQuotedPrintable(body, charset);
  // The file was read as UTF-8 or windows-1252; a part in another charset (ISO-2022-JP is 7-bit
  // with escape sequences, KOI8-R is 8-bit) is decoded again from its bytes when those survive
  // as code points below 256.
  if (charset && !/^(?:utf-?8|us-ascii|ascii)$/i.test(charset.trim()) && !/[^\u0000-\u00ff]/.test(body))
    return decodeBytes(Buffer.from(body, "latin1"), charset);
  return body;
}

/** Body parts between `--boundary` lines; the preamble and epilogue are not parts. */
function splitMultipart(body: string, boundary: string): { headers: Headers; body: string }[] | null {
  const open = `--${boundary}`;
  const parts: string[][] = [];
  let current: string[] | null = null;
  for (const line of body.split("\n")) {
    const t = line.trimEnd();
    if (t === `${open}--`) {
      current = null;
      break;
    }
    if (t === open) parts.push((current = []));
    else current?.push(line);
  }
  if (parts.length === 0) return null;
  return parts.map((lines) => {
    const text = lines.join("\n");
    if (text.startsWith("\n")) return { headers: new Map(), body: text.slice(1) };
    const [head, rest] = splitAtBlankLine(text);
    const headers = parseHeaderLines(head);
    return headers ? { headers, body: rest } : { headers: new Map(), body: text };
  });
}

const isAttachment = (headers: Headers) => /^\s*attachment/i.test(headers.get("content-disposition") ?? "");

function partTexts(headers: Headers, body: string, depth: number): MailText[] {
  const { type, params } = parseContentType(headers.get("content-type"));
  if (type.startsWith("multipart/") && params.boundary && depth < MAX_DEPTH) {
    const parts = splitMultipart(body, params.boundary);
    if (!parts) return [{ text: body, html: false }];
    const texts = parts.map((p) => partTexts(p.headers, p.body, depth + 1)).filter((t) => t.some((x) => x.text.trim()));
    if (type === "multipart/alternative") {
      // Alternatives say the same thing: the plain one if there is one, else the first readable.
      return texts.find((t) => t.every((x) => !x.html)) ?? texts[0] ?? [];
    }
    return texts.flat();
  }
  if (type === "message/rfc822" && depth < MAX_DEPTH) {
    const inner = splitMail(body);
    return inner ? partTexts(inner.headers, inner.body, depth + 1) : [{ text: body, html: false }];
  }
  if (isAttachment(headers)) return [];
  if (type === "text/plain" || type === "text/html") return [{ text: decodeBody(headers, body, params.charset), html: type === "text/html" }];
  return [];
}

/** The readable text parts of a mail (headers dropped, attachments skipped), or null when `text` is no mail. */
export function mailTexts(text: string): MailText[] | null {
  const mail = splitMail(text);
  return mail ? partTexts(mail.headers, mail.body, 0) : null;
}
