"use client";
import { useEffect, useMemo, useRef, useState } from "react";
import { trpc } from "../../lib/trpc";
import { messageOf } from "../common/message-of";
import { smallButton } from "../common/small-button";

/** Lines kept in the page; the whole log is one download away. */
const KEEP_LINES = 20_000;
const POLL_MS = 1000;

/** The trainer's log, followed live while the run is active, searchable and downloadable. */
export function RunLog({ runId, active }: { runId: string; active: boolean }) {
  const [lines, setLines] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState("");
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLPreElement>(null);
  const offset = useRef(0);
  const partial = useRef("");

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const pull = async () => {
      try {
        for (;;) {
          const slice = await trpc.run.log.query({ id: runId, from: offset.current });
          if (stopped) return;
          if (slice.restarted) (partial.current = ""), setLines([]);
          offset.current = slice.next;
          const text = partial.current + slice.text;
          const parts = text.split("\n");
          partial.current = parts.pop() ?? "";
          if (parts.length) setLines((old) => [...old, ...parts].slice(-KEEP_LINES));
          setError(null);
          if (slice.next >= slice.size) break;
        }
      } catch (e) {
        if (!stopped) setError(messageOf(e));
      }
      if (!stopped && active) timer = setTimeout(pull, POLL_MS);
    };
    void pull();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [runId, active]);

  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return q ? lines.filter((l) => l.toLowerCase().includes(q)) : lines;
  }, [lines, query]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [shown, follow]);

  return (
    <div data-testid="trainer-log" className="space-y-2">
      <div className="flex flex-wrap items-center gap-2 text-xs text-slate-400">
        <input
          type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Search the log…" aria-label="Search the log"
          className="w-56 rounded border border-slate-700 bg-slate-900 px-2 py-1 text-slate-200"
        />
        <label className="flex items-center gap-1"><input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> follow</label>
        <span>{query ? `${shown.length} of ${lines.length} lines` : `${lines.length} lines`}{active ? " · live" : ""}</span>
        <a className={smallButton} href={`/api/download/runs/${runId}/trainer.log`} download>Download</a>
      </div>
      {error && <p role="alert" className="text-sm text-rose-300">{error}</p>}
      <pre ref={box} className="max-h-80 overflow-auto whitespace-pre-wrap break-words rounded border border-slate-800 bg-slate-950 p-2 font-mono text-xs leading-5 text-slate-300">
        {shown.length ? shown.join("\n") : lines.length ? "No line matches." : "No output yet."}
      </pre>
    </div>
  );
}
