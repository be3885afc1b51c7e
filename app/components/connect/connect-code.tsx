"use client";
import { useState } from "react";
import type { Snippet } from "./connect-snippets";

/** One snippet: its label, the text in a scrollable block, and a button that copies it. */
export function ConnectCode({ snippet }: { snippet: Snippet }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(snippet.text);
      setCopied("yes");
    } catch {
      // Clipboard access needs a secure origin or a permission: say so, the text can still be selected.
      setCopied("no");
    }
  }
  return (
    <div className="space-y-1.5">
      <div className="flex items-center justify-between gap-3">
        <p className="text-xs font-medium text-slate-400">{snippet.label}</p>
        <button type="button" onClick={copy} data-testid={`copy-${snippet.id}`}
          className="shrink-0 rounded border border-slate-600 px-2 py-0.5 text-xs text-slate-200 hover:bg-slate-800">
          {copied === "yes" ? "Copied" : copied === "no" ? "Select and copy" : "Copy"}
        </button>
      </div>
      <pre className="overflow-x-auto rounded-md border border-slate-800 bg-slate-950 px-3 py-2 font-mono text-xs leading-5 text-slate-100 sm:text-sm"
        data-testid={`snippet-${snippet.id}`} data-language={snippet.language}><code>{snippet.text}</code></pre>
    </div>
  );
}
