import { Fragment, type ReactNode } from "react";

/**
 * A small Markdown renderer for run notes: headings, lists, code, emphasis and http(s) links, built
 * as React elements, so no note can inject HTML or script into the page.
 */
export function Markdown({ text }: { text: string }) {
  const blocks: ReactNode[] = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; ) {
    const line = lines[i];
    if (line.startsWith("```")) {
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith("```"); i++) body.push(lines[i]);
      i++;
      blocks.push(<pre key={blocks.length} className="overflow-auto rounded bg-slate-950 p-2 font-mono text-xs">{body.join("\n")}</pre>);
      continue;
    }
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    if (heading) {
      const size = ["text-lg", "text-base", "text-sm", "text-sm"][heading[1].length - 1];
      blocks.push(<p key={blocks.length} className={`${size} font-semibold text-slate-100`}>{inline(heading[2])}</p>);
      i++;
      continue;
    }
    const bullet = /^\s*([-*]|\d+\.)\s+/;
    if (bullet.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const items: string[] = [];
      for (; i < lines.length && bullet.test(lines[i]); i++) items.push(lines[i].replace(bullet, ""));
      const List = ordered ? "ol" : "ul";
      blocks.push(<List key={blocks.length} className={`${ordered ? "list-decimal" : "list-disc"} pl-5`}>{items.map((it, j) => <li key={j}>{inline(it)}</li>)}</List>);
      continue;
    }
    if (!line.trim()) {
      i++;
      continue;
    }
    const para: string[] = [];
    for (; i < lines.length && lines[i].trim() && !bullet.test(lines[i]) && !/^(#{1,4})\s/.test(lines[i]) && !lines[i].startsWith("```"); i++) para.push(lines[i]);
    blocks.push(<p key={blocks.length}>{inline(para.join(" "))}</p>);
  }
  return <div className="space-y-2 break-words text-sm text-slate-300">{blocks}</div>;
}

const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*]+\*|_[^_]+_)|(\[[^\]]+\]\((https?:\/\/[^)\s]+)\))/g;

function inline(text: string): ReactNode {
  const out: ReactNode[] = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const [all, code, bold, em, link, href] = m;
    const key = out.length;
    if (code) out.push(<code key={key} className="rounded bg-slate-800 px-1 font-mono text-xs">{code.slice(1, -1)}</code>);
    else if (bold) out.push(<strong key={key} className="text-slate-100">{bold.slice(2, -2)}</strong>);
    else if (em) out.push(<em key={key}>{em.slice(1, -1)}</em>);
    else if (link) out.push(<a key={key} href={href} rel="noreferrer noopener" target="_blank" className="text-sky-300 underline">{link.slice(1, link.indexOf("]"))}</a>);
    last = m.index + all.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return <Fragment>{out}</Fragment>;
}
